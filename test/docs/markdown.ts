/**
 * The few pieces of Markdown the docs test reads: headings (with GitHub's anchors), relative links,
 * `npm run` commands and sentences. Regexes, not a parser: no Markdown parser is a dependency here,
 * and the docs use plain ATX headings, inline links and fenced code blocks only.
 */

const FENCE = /^\s*(```|~~~)/;

/** Each line of the text with fenced code blocks (fences included) blanked, so line numbers still hold. */
export function prose(text: string): string[] {
  let inFence = false;
  return text.split('\n').map((line) => {
    if (FENCE.test(line)) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : line;
  });
}

/** The anchor GitHub gives a heading: lowercase, punctuation other than `-` and `_` dropped, spaces → `-`. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image keeps only its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a page's headings in order; a repeated heading gets `-1`, `-2`, … as on GitHub. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text)) {
    const m = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images outside code (fenced blocks and `code spans`), plus reference definitions. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  prose(text).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
    const def = /^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/.exec(line);
    if (def) out.push({ line: i + 1, target: def[1]! });
  });
  return out;
}

/** A link to somewhere else on the web (or a mail address): not checked. */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

export interface NpmRun {
  line: number;
  script: string;
  /** The `--workspace`/`-w` the command names, if any. */
  workspace?: string;
}

/**
 * Every `npm run <script>` (and `npm start`/`npm test`, which run the scripts of those names),
 * code blocks included: a command in a code block is the one readers copy.
 */
export function npmRuns(text: string): NpmRun[] {
  const out: NpmRun[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/\bnpm\s+((?:-{1,2}[\w-]+(?:[= ][^\s-]\S*)?\s+)*)(run(?:-script)?\s+([\w:.*-]+)|start|test)\b([^`;|&\n]*)/g)) {
      const script = m[3] ?? m[2]!;
      // What follows a bare `--` goes to the script, not to npm.
      const flags = `${m[1]} ${m[4]!.split(/\s--(?:\s|$)/)[0]}`;
      const ws = /(?:--workspace[= ]|-w[= ])\s*([^\s]+)/.exec(flags);
      out.push({ line: i + 1, script, ...(ws ? { workspace: ws[1]! } : {}) });
    }
  });
  return out;
}

/** Sentences of the prose, each with the line it starts on; a paragraph's lines are joined first. */
export function sentences(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let para: { line: number; text: string } | undefined;
  const flush = () => {
    if (!para) return;
    for (const s of para.text.split(/(?<=[.!?;])\s+(?=[A-Z(`*])/)) out.push({ line: para.line, text: s });
    para = undefined;
  };
  prose(text).forEach((line, i) => {
    // A table row or list item is a paragraph of its own.
    if (line.trim() === '' || /^\s*(\||[-*+] |\d+\. |#)/.test(line)) flush();
    if (line.trim() === '') return;
    para = para ? { line: para.line, text: `${para.text} ${line.trim()}` } : { line: i + 1, text: line.trim() };
  });
  flush();
  return out;
}

/** Words saying a part is still to come. */
const NOT_YET = /\b(planned|not built yet|not yet built|is next|are next|coming soon|later, the)\b/i;
/** The parts of userforge that exist and that older docs called planned. */
const PART = /\b(operator|chart|helm|kubernetes|crd|custom resource)\b/i;

/** Sentences that say an existing part (the operator, the chart, …) is planned or missing. */
export function stalePromises(text: string): { line: number; text: string }[] {
  return sentences(text).filter((s) => NOT_YET.test(s.text) && PART.test(s.text));
}
