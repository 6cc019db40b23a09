// Trickled candidates from peers: the checks and the holding rules of
// src/session/candidates.js, the twin of avacollab/peer/candidates.py (its
// tests, tests/test_candidates.py, have the same bounds).
import assert from "node:assert/strict";
import { test } from "node:test";

import { CandidateError, MAX_EARLY_CANDIDATES, MAX_REMOTE_CANDIDATES, RemoteCandidates, checkCandidate } from "../src/session/candidates.js";

const LINE = "candidate:842163049 1 udp 2122260223 192.168.1.7 46154 typ host generation 0";

test("a candidate keeps only the fields the protocol carries", () => {
  assert.deepEqual(checkCandidate({ candidate: LINE, sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "x" }), {
    candidate: LINE, sdpMid: "0", sdpMLineIndex: 0,
  });
  assert.deepEqual(checkCandidate({ candidate: LINE, sdpMid: null, sdpMLineIndex: 0 }), { candidate: LINE, sdpMLineIndex: 0 });
  assert.deepEqual(checkCandidate({ candidate: LINE, sdpMid: "0" }), { candidate: LINE, sdpMid: "0" });
});

test("null or an empty line is end-of-candidates", () => {
  assert.equal(checkCandidate(null), null);
  assert.equal(checkCandidate({ candidate: "", sdpMid: "0" }), null);
  assert.equal(checkCandidate({ candidate: " " }), null);
});

test("malformed candidates are refused with the reason", () => {
  /** @type {Array<[unknown, string]>} */
  const cases = [
    [undefined, "'candidate' is undefined, not an object or null"],
    ["candidate:1", "'candidate' is string, not an object or null"],
    [[LINE], "'candidate' is an array, not an object or null"],
    [7, "'candidate' is number, not an object or null"],
    [{ sdpMid: "0" }, "'candidate.candidate' is undefined, not a string"],
    [{ candidate: 5, sdpMid: "0" }, "'candidate.candidate' is number, not a string"],
    [{ candidate: LINE + " x".repeat(600), sdpMid: "0" }, `candidate line of ${LINE.length + 1200} characters, at most 1024`],
    [{ candidate: "x".repeat(1_000_000), sdpMid: "0" }, "candidate line of 1000000 characters, at most 1024"],
    [{ candidate: LINE, sdpMid: 0 }, "'sdpMid' 0 is not a string of at most 64"],
    [{ candidate: LINE, sdpMid: "m".repeat(65) }, `'sdpMid' "${"m".repeat(56)}... is not a string of at most 64`],
    [{ candidate: LINE, sdpMLineIndex: true }, "'sdpMLineIndex' true is not an integer 0-1023"],
    [{ candidate: LINE, sdpMLineIndex: "0" }, `'sdpMLineIndex' "0" is not an integer 0-1023`],
    [{ candidate: LINE, sdpMLineIndex: 1.5 }, "'sdpMLineIndex' 1.5 is not an integer 0-1023"],
    [{ candidate: LINE, sdpMLineIndex: 1024 }, "'sdpMLineIndex' 1024 is not an integer 0-1023"],
    [{ candidate: LINE }, "neither 'sdpMid' nor 'sdpMLineIndex' says which m-line"],
  ];
  for (const [body, reason] of cases) {
    assert.throws(() => checkCandidate(body), (error) => error instanceof CandidateError && error.message === reason, reason);
  }
});

/** @param {number} n */
const candidates = (n) => Array.from({ length: n }, (_, i) => ({ candidate: LINE.replace("46154", String(1000 + i)), sdpMid: "0" }));

test("candidates before the description are held, then released in order", () => {
  const remote = new RemoteCandidates();
  const [first, second, third] = candidates(3);
  assert.deepEqual(remote.receive(first), []);
  assert.deepEqual(remote.receive(second), []);
  assert.deepEqual(remote.receive(null), []);
  assert.deepEqual(remote.described(), [first, second, null]);
  assert.deepEqual(remote.described(), []);
  assert.throws(() => remote.receive(third), /after end-of-candidates/);
});

test("once described, candidates pass straight through", () => {
  const remote = new RemoteCandidates();
  remote.described();
  const [first] = candidates(1);
  assert.deepEqual(remote.receive(first), [first]);
  assert.deepEqual(remote.receive(null), [null]);
});

test("too many early candidates are dropped and the held ones kept", () => {
  const remote = new RemoteCandidates();
  const many = candidates(MAX_EARLY_CANDIDATES + 3);
  for (const c of many.slice(0, MAX_EARLY_CANDIDATES)) assert.deepEqual(remote.receive(c), []);
  for (const c of many.slice(MAX_EARLY_CANDIDATES)) {
    assert.throws(() => remote.receive(c), /more than 32 candidates before the remote description/);
  }
  assert.deepEqual(remote.described(), many.slice(0, MAX_EARLY_CANDIDATES));
});

test("a link takes a bounded number of candidates in all", () => {
  const remote = new RemoteCandidates();
  remote.described();
  const many = candidates(MAX_REMOTE_CANDIDATES + 1);
  for (const c of many.slice(0, -1)) assert.deepEqual(remote.receive(c), [c]);
  assert.throws(() => remote.receive(many[MAX_REMOTE_CANDIDATES]), /more than 64 candidates on one connection/);
  assert.deepEqual(remote.receive(null), [null]);
});
