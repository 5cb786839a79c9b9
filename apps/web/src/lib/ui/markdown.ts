/**
 * Untrusted markdown (prompts, responses, reference answers) → sanitized HTML. marked renders, then
 * DOMPurify keeps a small allow-list. Raw HTML in the source is shown as text, images become links
 * (the CSP blocks remote images anyway) and links open in a new tab without opener or referrer.
 * Code blocks are highlighted (highlight.js) and `$…$` / `$$…$$` math is typeset by KaTeX as MathML
 * (no inline styles needed); both outputs go through the same sanitizer, and `class` survives only
 * with the highlighter's own class names.
 * Only Markdown.svelte puts the result into the page. Needs a DOM (DOMPurify).
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import katex from 'katex';
import { Marked, type TokenizerAndRendererExtension } from 'marked';

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

function math(tex: string, displayMode: boolean): string {
  return katex.renderToString(tex, { displayMode, output: 'mathml', throwOnError: false, trust: false, maxSize: 20, maxExpand: 200 });
}

const blockMath: TokenizerAndRendererExtension = {
  name: 'blockMath',
  level: 'block',
  start: (src) => src.indexOf('$$'),
  tokenizer(src) {
    const m = /^\$\$([\s\S]+?)\$\$(?:\n|$)/.exec(src);
    return m ? { type: 'blockMath', raw: m[0], text: m[1]!.trim() } : undefined;
  },
  renderer: (token) => `<p>${math(String(token.text), true)}</p>`,
};

const inlineMath: TokenizerAndRendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start: (src) => src.indexOf('$'),
  tokenizer(src) {
    // `$x$` with no space just inside the dollars, so prices like "$5 and $10" stay text.
    const m = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?![\d$])/.exec(src);
    return m ? { type: 'inlineMath', raw: m[0], text: m[1]! } : undefined;
  },
  renderer: (token) => math(String(token.text), false),
};

const MAX_HIGHLIGHT_CHARS = 20_000;

function highlight(code: string, lang: string | undefined): string {
  if (code.length > MAX_HIGHLIGHT_CHARS) return escapeText(code);
  const language = lang && hljs.getLanguage(lang) ? lang : undefined;
  return language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : hljs.highlightAuto(code).value;
}

const marked = new Marked({
  extensions: [blockMath, inlineMath],
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
    code({ text, lang }) {
      const language = (lang ?? '').match(/^[\w+#-]+/)?.[0];
      return `<pre><code class="hljs">${highlight(text, language)}</code></pre>\n`;
    },
  },
});

const MATHML_TAGS = ['math', 'semantics', 'annotation', 'mrow', 'mi', 'mo', 'mn', 'ms', 'mtext', 'mspace', 'msup', 'msub', 'msubsup', 'mfrac', 'msqrt', 'mroot', 'mtable', 'mtr', 'mtd', 'munder', 'mover', 'munderover', 'mstyle', 'mpadded', 'mphantom', 'menclose'];
const ALLOWED_TAGS = ['a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul', ...MATHML_TAGS];
const MATHML_ATTR = ['display', 'mathvariant', 'stretchy', 'fence', 'separator', 'lspace', 'rspace', 'accent', 'accentunder', 'columnalign', 'rowspacing', 'columnspacing', 'encoding', 'xmlns', 'scriptlevel', 'displaystyle', 'minsize', 'maxsize', 'width', 'height', 'depth', 'notation', 'movablelimits', 'symmetric', 'largeop'];
const ALLOWED_ATTR = ['href', 'title', 'align', 'class', ...MATHML_ATTR];
/** The only class names that survive: the highlighter's. */
const SAFE_CLASS = /^(hljs(-[\w-]+)?|language-[\w-]+)(\s+(hljs(-[\w-]+)?|language-[\w-]+|[\w-]+_))*$/;

let hooked = false;

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'class' && !SAFE_CLASS.test(data.attrValue)) data.keepAttr = false;
  });
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
