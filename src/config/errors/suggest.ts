/**
 * "Did you mean" for misspelt keys.
 *
 * @module
 */

/** Lower case without `_` and `-`, so `max_age` and `MAXAGE` both meet `maxAge`. */
function normalize(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, "");
}

/** The Levenshtein distance between `a` and `b`, counting a swap of neighbours as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `key`, if it is close enough to be a plausible typo.
 *
 * @param key the unknown key as written
 * @param candidates the keys valid where `key` was written
 * @returns the suggestion, or `undefined` when no candidate is close
 */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(key);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Allow about one typo per four letters: "concurency" → "concurrency", but not "foo" → "name".
  const allowed = Math.max(1, Math.floor(wanted.length / 4));
  return bestDistance <= allowed ? best : undefined;
}
