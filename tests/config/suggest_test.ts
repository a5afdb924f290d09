import assert from "node:assert/strict";
import { editDistance, suggestKey } from "../../src/config/errors/suggest.ts";

Deno.test("editDistance() counts edits, a swap of neighbours as one", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("ackwait", "ackwiat"), 1);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("suggestKey() finds typos, case and snake_case slips, but not unrelated words", () => {
  const keys = ["enabled", "maxAge", "maxBytes", "replicas"];
  assert.equal(suggestKey("maxage", keys), "maxAge");
  assert.equal(suggestKey("max_bytes", keys), "maxBytes");
  assert.equal(suggestKey("replcias", keys), "replicas");
  assert.equal(suggestKey("enable", keys), "enabled");
  assert.equal(suggestKey("colour", keys), undefined);
});
