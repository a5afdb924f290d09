/**
 * The README's text and its code blocks, for the tests that hold it to what the code does.
 *
 * @module
 */

/** The repository's root directory, ending in `/`. */
export const root: string = new URL("../..", import.meta.url).pathname;

/** The whole README. */
export const readme: string = await Deno.readTextFile(`${root}README.md`);

/** The text from the heading `title` (such as `"### systemd"`) to the next heading as deep. */
export function section(title: string): string {
  const start = readme.indexOf(`\n${title}\n`);
  if (start < 0) throw new Error(`the README has no heading "${title}"`);
  const level = title.match(/^#+ /)![0];
  const end = readme.indexOf(`\n${level}`, start + title.length + 2);
  return readme.slice(start + 1, end < 0 ? undefined : end + 1);
}

/** The code blocks of `language` in `text` (the whole README by default), in order. */
export function codeBlocks(language: string, text: string = readme): string[] {
  return [...text.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))]
    .map((match) => match[1]);
}
