/**
 * Scraping `/metrics` in tests, parsed by an npm parser of the Prometheus text format
 * (`parse-prometheus-text-format`, which throws on a line that is not the format).
 *
 * @module
 */
import assert from "node:assert/strict";
import parsePrometheus from "parse-prometheus-text-format";

/** One sample of a parsed family: its labels and value. */
interface Sample {
  readonly labels?: Record<string, string>;
  readonly value?: string;
}

/** A metric family as the parser gives it. */
export interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: Sample[];
}

/** Parsed metrics: each family by name, histograms' series too (`<name>_count` …). */
export type Scrape = Map<string, Family>;

/** Scrapes `http://127.0.0.1:<port>/metrics` and parses it. */
export async function scrape(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = parsePrometheus(text) as Family[];
  // the parser folds the series of a labelled histogram into one: parsed again without
  // their TYPE lines, each of their series (_bucket, _sum, _count) is a family of its own
  const untyped = text.split("\n").filter((line) => !/^# TYPE \S+ histogram$/.test(line));
  const series = (parsePrometheus(untyped.join("\n")) as Family[])
    .filter((family) => /_(bucket|sum|count)$/.test(family.name));
  // and the series of each label set come in turn, so one name is split into several
  const byName = new Map<string, Family>();
  for (const family of [...families, ...series]) {
    const seen = byName.get(family.name);
    byName.set(
      family.name,
      seen ? { ...seen, metrics: [...seen.metrics, ...family.metrics] } : family,
    );
  }
  return byName;
}

/** The value of the sample of `name` whose labels include `labels`; 0 when there is none. */
export function sample(metrics: Scrape, name: string, labels: Record<string, string>): number {
  const found = metrics.get(name)?.metrics.find((metric) =>
    Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value)
  );
  return Number(found?.value ?? 0);
}
