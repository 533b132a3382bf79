/**
 * Turns label matchers into the postings of the series they select, as
 * Prometheus's `PostingsForMatchers` does: matchers that cannot match a missing
 * label intersect their postings; matchers that also match a missing label
 * (`l=""`, `l!="x"`, `l!~"x"`, `l=~"x|"`) subtract the series they exclude.
 * With only subtracting matchers (or none), the start is every series.
 */
import { MatchType, type Matcher } from '../matcher.js';
import { intersectPostings, mergePostings, withoutPostings } from './postings.js';

/** What an index (block or head) offers for matcher evaluation. */
export interface PostingsSource {
  allPostings(): Uint32Array;
  postings(name: string, value: string): Uint32Array;
  postingsForMatching(name: string, match: (value: string) => boolean): Uint32Array;
}

/** Series ids (sorted) matching every matcher. */
export function postingsForMatchers(ix: PostingsSource, matchers: readonly Matcher[]): Uint32Array {
  const its: Uint32Array[] = [];
  const notIts: Uint32Array[] = [];
  for (const m of matchers) {
    if (m.matchesEmpty()) {
      // Series lacking the label match; remove those whose value is rejected.
      if (m.type === MatchType.Equal) notIts.push(ix.postingsForMatching(m.name, () => true));
      else if (m.type === MatchType.NotEqual) notIts.push(ix.postings(m.name, m.value));
      else notIts.push(ix.postingsForMatching(m.name, (v) => !m.matches(v)));
      continue;
    }
    its.push(postingsForMatcher(ix, m));
  }
  let p = its.length === 0 ? ix.allPostings() : intersectPostings(its);
  if (notIts.length > 0 && p.length > 0) p = withoutPostings(p, mergePostings(notIts));
  return p;
}

function postingsForMatcher(ix: PostingsSource, m: Matcher): Uint32Array {
  if (m.type === MatchType.Equal) return ix.postings(m.name, m.value);
  const set = m.setMatches();
  if (set !== null) return mergePostings(set.map((v) => ix.postings(m.name, v)));
  return ix.postingsForMatching(m.name, (v) => m.matches(v));
}
