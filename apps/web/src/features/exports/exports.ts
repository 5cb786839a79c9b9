/** Helpers of the export page: the download's file name and a row count read as bytes arrive. */

/** The file name of a `Content-Disposition` header: `filename*` (RFC 5987) first, else `filename`. */
export function fileNameOf(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      // a malformed encoding: fall back to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1]!.replace(/\\(.)/g, '$1').trim() : fallback;
}

/** Counts line ends in the chunks of a JSONL or CSV download (a CSV's header line is one of them). */
export function createLineCounter() {
  let lines = 0;
  return {
    add(chunk: Uint8Array) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    },
    get lines() {
      return lines;
    },
  };
}

/** Bytes as a short readable size. */
export const sizeOf = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);
