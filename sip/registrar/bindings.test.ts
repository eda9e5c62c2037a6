import { test } from "node:test";
import assert from "node:assert/strict";
import { decideBindings, sameContact, type AorPolicy, type Binding } from "./bindings.js";

const policy = (over: Partial<AorPolicy> = {}): AorPolicy => ({
  name: "6001", maxContacts: 2, removeExisting: false, minimumExpiration: 60, maximumExpiration: 7200, defaultExpiration: 3600, ...over,
});
const NOW = 1_000_000_000;
const binding = (uri: string, over: Partial<Binding> = {}): Binding => ({
  id: `contact:6001/${uri}`, uri, callId: `call-${uri}`, cseq: 1, expiresAt: NOW + 3600e6, registeredAt: NOW, ...over,
});
const reg = (contacts: { uri: string; expires?: number }[] | "*", over: { expires?: number; callId?: string; cseq?: number } = {}) => ({
  contacts, callId: over.callId ?? "new-call", cseq: over.cseq ?? 1, ...(over.expires !== undefined ? { expires: over.expires } : {}),
});

test("a new contact is added with the Expires header, the contact parameter winning, clamped to maximum_expiration", () => {
  assert.deepEqual(decideBindings(policy(), [], reg([{ uri: "sip:a@h" }], { expires: 300 }), NOW), { ok: true, changes: [{ op: "add", uri: "sip:a@h", expires: 300 }] });
  assert.deepEqual(decideBindings(policy(), [], reg([{ uri: "sip:a@h", expires: 120 }], { expires: 300 }), NOW).ok, true);
  assert.deepEqual(decideBindings(policy(), [], reg([{ uri: "sip:a@h" }]), NOW), { ok: true, changes: [{ op: "add", uri: "sip:a@h", expires: 3600 }] });
  assert.deepEqual(decideBindings(policy(), [], reg([{ uri: "sip:a@h", expires: 99999 }]), NOW), { ok: true, changes: [{ op: "add", uri: "sip:a@h", expires: 7200 }] });
});

test("an expiration below minimum_expiration is 423 with Min-Expires", () => {
  assert.deepEqual(decideBindings(policy(), [], reg([{ uri: "sip:a@h" }], { expires: 30 }), NOW), { ok: false, status: 423, reason: "Interval Too Brief", minExpires: 60 });
});

test("a re-REGISTER refreshes; Expires: 0 removes; Contact: * removes all", () => {
  const a = binding("sip:a@h"), b = binding("sip:b@h");
  assert.deepEqual(decideBindings(policy(), [a, b], reg([{ uri: "sip:a@H" }], { callId: a.callId, cseq: 2, expires: 600 }), NOW),
    { ok: true, changes: [{ op: "refresh", id: a.id, uri: a.uri, expires: 600 }] });
  assert.deepEqual(decideBindings(policy(), [a, b], reg([{ uri: "sip:b@h" }], { expires: 0 }), NOW),
    { ok: true, changes: [{ op: "remove", id: b.id, uri: b.uri, reason: "unregistered" }] });
  assert.deepEqual(decideBindings(policy(), [a, b], reg("*", { expires: 0 }), NOW).ok && decideBindings(policy(), [a, b], reg("*", { expires: 0 }), NOW),
    { ok: true, changes: [{ op: "remove", id: a.id, uri: a.uri, reason: "unregistered" }, { op: "remove", id: b.id, uri: b.uri, reason: "unregistered" }] });
  assert.equal((decideBindings(policy(), [a], reg("*", { expires: 60 }), NOW) as { status: number }).status, 400);
});

test("an out-of-order REGISTER (same Call-ID, CSeq not higher) is refused with 500", () => {
  const a = binding("sip:a@h", { cseq: 5 });
  assert.equal((decideBindings(policy(), [a], reg([{ uri: "sip:a@h" }], { callId: a.callId, cseq: 5 }), NOW) as { status: number }).status, 500);
});

test("a third contact over max_contacts=2 is refused with 403, existing contacts kept", () => {
  const d = decideBindings(policy(), [binding("sip:a@h"), binding("sip:b@h")], reg([{ uri: "sip:c@h" }]), NOW);
  assert.deepEqual(d, { ok: false, status: 403, reason: "Forbidden", exceedsMaxContacts: true });
});

test("with remove_existing the new contact replaces the one closest to expiring", () => {
  const old = binding("sip:a@h", { expiresAt: NOW + 100e6 });
  const fresh = binding("sip:b@h", { expiresAt: NOW + 3000e6 });
  const d = decideBindings(policy({ removeExisting: true }), [fresh, old], reg([{ uri: "sip:c@h" }]), NOW);
  assert.deepEqual(d, { ok: true, changes: [{ op: "add", uri: "sip:c@h", expires: 3600 }, { op: "remove", id: old.id, uri: old.uri, reason: "replaced" }] });
});

test("max_contacts=0: the AOR takes no registrations", () => {
  assert.equal((decideBindings(policy({ maxContacts: 0 }), [], reg([{ uri: "sip:a@h" }]), NOW) as { status: number }).status, 403);
});

test("a REGISTER without Contact is a query and changes nothing", () => {
  assert.deepEqual(decideBindings(policy(), [binding("sip:a@h")], reg([]), NOW), { ok: true, changes: [] });
});

test("contact URIs compare case-insensitively in the host only", () => {
  assert.ok(sameContact("sip:6001@Phone.EXAMPLE:5062;transport=udp", "sip:6001@phone.example:5062;transport=udp"));
  assert.ok(!sameContact("sip:6001@h", "sip:6002@h"));
  assert.ok(!sameContact("sip:6001@h:5060", "sip:6001@h:5062"));
});
