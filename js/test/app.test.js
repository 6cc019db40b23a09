// The web editor's pure parts: what a box shows, how typed values are read,
// and the sentences a refused join or a failed link gets.
import { test } from "node:test";
import assert from "node:assert/strict";

import { displayName, keyProps, parseValue, shown } from "../app/values.js";
import { joinFailure, linkFailure, linkState, mediaUnavailable } from "../app/messages.js";
import { SignalingError } from "../src/index.js";

test("a box shows its name property and up to three others", () => {
  assert.equal(displayName({ label: "Pay", width: 120 }), "Pay");
  assert.equal(displayName({ name: "main", label: "Pay" }), "main");
  assert.equal(displayName({ width: 1 }), "");
  assert.equal(displayName({ text: "x".repeat(40) }).length, 24);
  assert.equal(keyProps({ label: "Pay", width: 120, a: true, b: null, c: "d" }), "a=true b=null c=d");
  assert.equal(keyProps({ label: "" , width: 1 }), "label= width=1");
});

test("typed values read as JSON when they look like it, else as text", () => {
  assert.equal(parseValue("120"), 120);
  assert.equal(parseValue("-1.5"), -1.5);
  assert.equal(parseValue("true"), true);
  assert.equal(parseValue("null"), null);
  assert.deepEqual(parseValue("[1, 2]"), [1, 2]);
  assert.equal(parseValue('"120"'), "120");
  assert.equal(parseValue("Pay now"), "Pay now");
  assert.equal(parseValue("12 apples"), "12 apples");
  assert.equal(parseValue("{broken"), "{broken");
  assert.equal(shown("Pay"), "Pay");
  assert.equal(shown(120), "120");
});

test("refusals read as sentences", () => {
  assert.match(joinFailure(new SignalingError("bad", "token-invalid"), "r"), /not valid/);
  assert.match(joinFailure(new SignalingError("no", "token-required"), "r"), /needs a join token/);
  assert.match(joinFailure(new SignalingError("full", "room-full"), "design"), /“design” is full/);
  assert.match(joinFailure(new SignalingError("down"), "r"), /Cannot reach the server/);
  assert.match(joinFailure(new SignalingError("odd", "something-new"), "r"), /refused to join \(something-new\): odd/);
  assert.match(linkFailure("py", { reason: "timeout", final: false }), /Cannot reach py yet \(no connection in time\); retrying/);
  assert.match(linkFailure("py", { reason: "gave-up", final: true }), /gave up/);
  assert.match(linkState("reconnecting"), /reconnecting/);
  assert.equal(
    mediaUnavailable("py", { reason: "no session.answer within 15 s", retry_in: 14.2 }),
    "Screen and voice cannot reach py for now (no session.answer within 15 s); editing goes on. Trying again in 14 s.",
  );
  assert.match(mediaUnavailable("py", {}), /\(no answer\); editing goes on\. Trying again later\.$/);
});

test("share notices are read with the screen share plugin's rules", async () => {
  const { parseNotice } = await import("../app/media.js");
  assert.deepEqual(parseNotice({ share: 1, source: "x11 :0" }, "source"), { share: 1, text: "x11 :0" });
  assert.deepEqual(parseNotice({ share: 2 }, "reason"), { share: 2, text: "" });
  assert.equal(parseNotice({ share: 2, source: "x".repeat(300) }, "source")?.text.length, 200);
  for (const bad of [null, [], "1", { share: 0 }, { share: 1.5 }, { share: true }, { share: 2 ** 31 }, { share: 1, source: 5 }]) {
    assert.equal(parseNotice(bad, "source"), null, JSON.stringify(bad));
  }
});
