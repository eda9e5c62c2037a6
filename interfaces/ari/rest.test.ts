/** The router and the Swagger documents made from one operation table; ari.conf's parser. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AriError, AriRouter, ok, type ResourceFamily } from "./rest.js";
import { familyDocument, resourcesDocument } from "./api-docs.js";
import { parseAriConf } from "./ari-conf.js";
import { ConfError } from "../../conf/tokenizer.js";
import { authenticate, cryptMatches } from "./auth.js";
import type { IncomingMessage } from "node:http";
import { tempDir } from "../../core/reap.js";

const family: ResourceFamily = {
  name: "things", description: "Things",
  operations: [
    { method: "GET", path: "/things", nickname: "list", summary: "", responseClass: "List[Thing]", params: [], handler: () => ok([]) },
    { method: "POST", path: "/things/{thingId}/poke", nickname: "poke", summary: "", responseClass: "void", handler: () => ok(null), params: [
      { name: "thingId", paramType: "path", dataType: "string", required: true },
      { name: "times", paramType: "query", dataType: "int", defaultValue: 1 },
      { name: "loud", paramType: "query", dataType: "boolean" },
      { name: "how", paramType: "query", dataType: "string", required: true, allowed: ["gently", "firmly"] },
      { name: "with", paramType: "query", dataType: "string", allowMultiple: true },
      { name: "variables", paramType: "body", dataType: "containers" },
    ] },
  ],
  models: [{ id: "Thing", properties: { id: { type: "string", required: true } } }],
};

test("the router: 404 for an unknown path, 405 for a known path with another method, path parameters decoded", () => {
  const router = new AriRouter([family]);
  assert.deepEqual(router.match("GET", "/nothing"), { status: 404 });
  assert.deepEqual(router.match("DELETE", "/things"), { status: 405 });
  const m = router.match("POST", "/things/a%20b/poke");
  assert.ok("op" in m);
  assert.equal(m.op.nickname, "poke");
  assert.deepEqual(m.path, { thingId: "a b" });
});

test("parameters: converted by type, defaults applied, errors name the parameter, JSON body fields count as query parameters", () => {
  const op = family.operations[1];
  const q = (s: string) => new URLSearchParams(s);
  assert.deepEqual(AriRouter.values(op, { thingId: "t" }, q("how=gently&loud=true&with=a,b"), undefined),
    { thingId: "t", times: 1, loud: true, how: "gently", with: ["a", "b"] });
  assert.deepEqual(AriRouter.values(op, { thingId: "t" }, q(""), { how: "firmly", times: 3, variables: { A: "1" } }),
    { thingId: "t", times: 3, how: "firmly", variables: { A: "1" } });
  const bad = (s: string, re: RegExp) => assert.throws(() => AriRouter.values(op, { thingId: "t" }, q(s), undefined), (e: unknown) => e instanceof AriError && e.status === 400 && re.test(e.message));
  bad("", /^how: parameter missing/);
  bad("how=roughly", /^how: one of gently, firmly/);
  bad("how=gently&times=two", /^times: an integer/);
  bad("how=gently&loud=maybe", /^loud: true or false/);
});

test("Swagger 1.2 documents: resources.json lists each family, a family document has its operations and models in the shape ari-client reads", () => {
  const base = "http://127.0.0.1:8088/ari";
  const resources = resourcesDocument([family], base) as { swaggerVersion: string; basePath: string; apis: { path: string }[] };
  assert.equal(resources.swaggerVersion, "1.2");
  assert.equal(resources.basePath, base);
  assert.deepEqual(resources.apis.map((a) => a.path), ["/api-docs/things.{format}"]);
  const doc = familyDocument(family, base) as { resourcePath: string; apis: { path: string; operations: { httpMethod: string; nickname: string; responseClass: string; parameters: { name: string; paramType: string; dataType: string; required: boolean; allowMultiple: boolean; allowableValues?: unknown }[] }[] }[]; models: Record<string, unknown> };
  assert.equal(doc.resourcePath, "/api-docs/things.{format}");
  assert.deepEqual(doc.apis.map((a) => a.path), ["/things", "/things/{thingId}/poke"]);
  const poke = doc.apis[1].operations[0];
  assert.deepEqual([poke.httpMethod, poke.nickname, poke.responseClass], ["POST", "poke", "void"]);
  assert.deepEqual(poke.parameters.map((p) => [p.name, p.paramType, p.dataType, p.required, p.allowMultiple]), [
    ["thingId", "path", "string", true, false], ["times", "query", "int", false, false], ["loud", "query", "boolean", false, false],
    ["how", "query", "string", true, false], ["with", "query", "string", false, true], ["variables", "body", "containers", false, false],
  ]);
  assert.deepEqual(poke.parameters[3].allowableValues, { valueType: "LIST", values: ["gently", "firmly"] });
  assert.ok(doc.models.Thing);
});

test("ari.conf: general settings and users; errors name file, line and object", () => {
  const dir = tempDir("ari-conf-");
  const file = join(dir, "ari.conf");
  writeFileSync(file, "[general]\nenabled = yes\npretty = yes\nallowed_origins = http://a, http://b\nwebsocket_write_timeout = 250\n\n[app]\ntype = user\npassword = s3cret\n\n[watch]\ntype = user\nread_only = yes\npassword = x\npassword_format = crypt\n");
  const conf = parseAriConf(file);
  assert.equal(conf.pretty, true);
  assert.deepEqual(conf.allowedOrigins, ["http://a", "http://b"]);
  assert.equal(conf.websocketWriteTimeoutMs, 250);
  assert.deepEqual(conf.users.get("app"), { name: "app", readOnly: false, password: "s3cret", passwordFormat: "plain" });
  assert.equal(conf.users.get("watch")?.readOnly, true);
  for (const [text, re] of [
    ["[general]\npretty = maybe\n", /ari\.conf:2: .*\[general\] pretty: yes or no/],
    ["[u]\ntype = user\npassword = p\npassword_format = md5\n", /ari\.conf:4: .*\[u\] password_format: plain or crypt/],
    ["[u]\ntype = peer\n", /ari\.conf:2: .*\[u\] type: "user" is the only type/],
    ["[u]\ntype = user\n", /\[u\] has no password/],
  ] as const) {
    writeFileSync(file, text);
    assert.throws(() => parseAriConf(file), (e: unknown) => e instanceof ConfError && re.test(e.message), text);
  }
});

test("auth: Basic and api_key, plain and crypt passwords; 401 otherwise; a read-only user's writes 403", () => {
  const dir = tempDir("ari-auth-");
  const file = join(dir, "ari.conf");
  // `openssl passwd -6 -salt abcdefgh secret`, as `ari mkpasswd` would make it.
  const hash = "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.";
  writeFileSync(file, `[plain]\ntype = user\npassword = pw\n[hashed]\ntype = user\npassword_format = crypt\npassword = ${hash}\n[ro]\ntype = user\nread_only = yes\npassword = ro\n`);
  const conf = parseAriConf(file);
  const req = (method: string, basic?: string) => ({ method, headers: basic ? { authorization: `Basic ${Buffer.from(basic).toString("base64")}` } : {} }) as unknown as IncomingMessage;
  const status = (r: ReturnType<typeof authenticate>) => (r.ok ? 200 : r.status);
  const none = new URLSearchParams();
  assert.equal(status(authenticate(conf, req("GET", "plain:pw"), none)), 200);
  assert.equal(status(authenticate(conf, req("GET"), new URLSearchParams("api_key=plain:pw"))), 200);
  assert.equal(status(authenticate(conf, req("GET", "plain:nope"), none)), 401);
  assert.equal(status(authenticate(conf, req("GET"), none)), 401);
  assert.equal(status(authenticate(conf, req("POST", "hashed:secret"), none)), 200);
  assert.equal(status(authenticate(conf, req("POST", "hashed:wrong"), none)), 401);
  assert.equal(status(authenticate(conf, req("GET", "ro:ro"), none)), 200);
  assert.equal(status(authenticate(conf, req("DELETE", "ro:ro"), none)), 403);
  assert.equal(cryptMatches("secret", "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"), true);
  assert.equal(cryptMatches("secret", "not a hash"), false);
});
