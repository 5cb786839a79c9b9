/**
 * Untrusted markdown (prompts, responses, reference answers) → sanitized HTML. marked renders, then
 * DOMPurify keeps a small allow-list. Raw HTML in the source is shown as text, images become links
 * (the CSP blocks remote images anyway) and links open in a new tab without opener or referrer.
 * Only Markdown.svelte puts the result into the page. Needs a DOM (DOMPurify).
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    image({ href, text }) {
      return `<a href="${escapeAttr(href)}">[image: ${escapeText(text || href)}]</a>`;
    },
    html({ text }) {
      return escapeText(text);
    },
  },
});

const ALLOWED_TAGS = ['a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'li', 'ol', 'p', 'pre', 's', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'];
const ALLOWED_ATTR = ['href', 'title', 'align'];

let hooked = false;

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow external');
    }
  });
}

export function renderMarkdown(source: string): string {
  installHooks();
  const html = marked.parse(source, { async: false });
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i });
}
