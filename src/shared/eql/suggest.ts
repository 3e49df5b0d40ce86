// "Did you mean …?" suggestions for misspelt fields, functions and pipes. Scored like ES (Lucene's
// Levenshtein similarity, 1 - distance / longer length, kept when ≥ 0.5), but only the best-scoring
// candidates are offered: with thousands of ECS fields, "any of" lists would be noise.
const MAX_SUGGESTIONS = 3;
const MIN_SIMILARITY = 0.5;

export function findSimilar(name: string, candidates: Iterable<string>): string[] {
  const scored: { candidate: string; score: number }[] = [];
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const longest = Math.max(name.length, candidate.length);
    if (longest === 0) continue;
    const score = 1 - editDistance(lower, candidate.toLowerCase()) / longest;
    if (score >= MIN_SIMILARITY) scored.push({ candidate, score });
  }
  scored.sort((a, b) => b.score - a.score || (a.candidate < b.candidate ? -1 : 1));
  const best = scored[0]?.score;
  return scored.filter((s) => s.score === best).slice(0, MAX_SUGGESTIONS).map((s) => s.candidate);
}

/** ", did you mean [x]?" or ", did you mean any of [x, y]?" (ES wording), or "". */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const similar = findSimilar(name, candidates);
  if (similar.length === 0) return '';
  return similar.length === 1 ? `, did you mean [${similar[0]}]?` : `, did you mean any of [${similar.join(', ')}]?`;
}

/** Levenshtein distance with one reused row. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
