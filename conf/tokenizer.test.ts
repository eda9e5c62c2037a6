import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfError, type ConfFile, parseConfFile, parseConfText, resolveTemplates } from "./tokenizer.js";
import { tempDir } from "../core/reap.js";

const kv = (file: ConfFile, index: number) => file.sections[index].entries.map((e) => [e.key, e.op, e.value]);

function withDir(files: Record<string, string>, body: (dir: string) => void): void {
  const dir = tempDir("conf-test-");
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function confError(fn: () => unknown): ConfError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfError, `expected ConfError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a ConfError");
}

test("sections, entries, positions, whitespace and both operators", () => {
  const file = parseConfText(
    "\n[general]\n  key1=value1  \nkey2 = value with spaces \n\n[default]\nexten => 100,1,Answer()\nsame=>n,Set(A=b)\n",
    "extensions.conf",
  );
  assert.deepEqual(file.sections.map((s) => [s.name, s.line]), [["general", 2], ["default", 6]]);
  assert.deepEqual(kv(file, 0), [["key1", "=", "value1"], ["key2", "=", "value with spaces"]]);
  // The first '=' splits: a later '=' belongs to the value.
  assert.deepEqual(kv(file, 1), [["exten", "=>", "100,1,Answer()"], ["same", "=>", "n,Set(A=b)"]]);
  assert.deepEqual(file.sections[1].entries.map((e) => [e.file, e.line]), [["extensions.conf", 7], ["extensions.conf", 8]]);
  assert.deepEqual(file.warnings, []);
});

test("comments: ';' ends the line, '\\;' is a literal semicolon", () => {
  const file = parseConfText("[s] ; comment after header\na = b ; trailing\n; whole line\nuri = sip:x@y\\;transport=tcp ; note\nempty =\n", "f.conf");
  assert.deepEqual(kv(file, 0), [["a", "=", "b"], ["uri", "=", "sip:x@y;transport=tcp"], ["empty", "=", ""]]);
});

test("block comments span lines, nest, and ';---' is an ordinary comment", () => {
  const text = [
    ";------------------ a banner, not a block comment",
    "[s]",
    "a = 1 ;-- starts here",
    "b = 2 (inside)",
    ";-- nested --;",
    "still inside --; c = 3",
    "d = 4 ;-- inline --; ; tail",
    "e = x;--mid--;y",
  ].join("\n");
  const file = parseConfText(text, "f.conf");
  assert.deepEqual(kv(file, 0), [["a", "=", "1"], ["c", "=", "3"], ["d", "=", "4"], ["e", "=", "xy"]]);
  assert.deepEqual(file.warnings, []);
});

test("an unterminated block comment is a warning naming the line it opened on", () => {
  const file = parseConfText("[s]\na=1\n;-- never closed\nb=2\n", "f.conf");
  assert.deepEqual(kv(file, 0), [["a", "=", "1"]]);
  assert.deepEqual(file.warnings, [{ file: "f.conf", line: 3, reason: "block comment ';--' is never closed with '--;'" }]);
});

test("sections of the same name stay separate, in order; (+) appends to the first", () => {
  const file = parseConfText("[6001]\ntype=endpoint\n[6001]\ntype=aor\n[6001](+)\nmax_contacts=1\n", "pjsip.conf");
  assert.equal(file.sections.length, 2);
  assert.deepEqual(kv(file, 0), [["type", "=", "endpoint"], ["max_contacts", "=", "1"]]);
  assert.deepEqual(kv(file, 1), [["type", "=", "aor"]]);
  const err = confError(() => parseConfText("[a]\nx=1\n[b](+)\n", "f.conf"));
  assert.equal(err.message, "f.conf:3: [b](+) adds to a section that is not defined before it");
});

test("'+=' appends to the last value of the key in the section, text after '=' as written", () => {
  const file = parseConfText("[s]\nallow = ulaw\nallow = alaw\nallow +=,g722\nallow += , g729 \nnew += fresh\n", "f.conf");
  assert.deepEqual(kv(file, 0), [["allow", "=", "ulaw"], ["allow", "=", "alaw,g722 , g729"], ["new", "=", "fresh"]]);
});

test("template flags: (!), (a,b), (!,a) and spaces inside the list", () => {
  const file = parseConfText("[t1](!)\na=1\n[t2]( ! )\nb=2\n[x](t1, t2)\n[y](!,t1)\n", "f.conf");
  assert.deepEqual(file.sections.map((s) => [s.name, s.template, s.inherits]), [
    ["t1", true, []], ["t2", true, []], ["x", false, ["t1", "t2"]], ["y", true, ["t1"]],
  ]);
});

test("resolveTemplates: templates' entries first, recursively, in the order listed; templates dropped", () => {
  const file = parseConfText(
    [
      "[base](!)", "type=endpoint", "context=internal",
      "[codecs](!)", "disallow=all", "allow=ulaw",
      "[phone](!,base,codecs)", "direct_media=no",
      "[6001](phone)", "context=sales",
      "[plain]", "k=v",
      "[child](plain)", "k2=v2",
    ].join("\n"),
    "pjsip.conf",
  );
  const resolved = resolveTemplates(file);
  assert.deepEqual(resolved.map((s) => s.name), ["6001", "plain", "child"]);
  assert.deepEqual(resolved[0].entries.map((e) => `${e.key}=${e.value}@${e.line}`), [
    "type=endpoint@2", "context=internal@3", "disallow=all@5", "allow=ulaw@6", "direct_media=no@8", "context=sales@10",
  ]);
  // A concrete section can be inherited from too.
  assert.deepEqual(resolved[2].entries.map((e) => e.key), ["k", "k2"]);
});

test("resolveTemplates: an unknown or later template is a ConfError naming file and line", () => {
  const unknown = confError(() => resolveTemplates(parseConfText("[a]\nx=1\n[b](nope)\n", "p.conf")));
  assert.equal(unknown.file, "p.conf");
  assert.equal(unknown.line, 3);
  assert.match(unknown.reason, /inherits from 'nope', which is not defined/);
  const later = confError(() => resolveTemplates(parseConfText("[b](t)\n[t](!)\nx=1\n", "p.conf")));
  assert.equal(later.line, 1);
  assert.match(later.reason, /defined only later \(p\.conf:2\)/);
});

test("syntax errors Asterisk refuses to load are ConfErrors with file and line", () => {
  assert.equal(confError(() => parseConfText("key=value\n", "f.conf")).message, "f.conf:1: entry before any [section]");
  assert.equal(confError(() => parseConfText("[s]\n[broken\n", "f.conf")).message, "f.conf:2: section header has no closing ']'");
  assert.equal(confError(() => parseConfText("[s](!\n", "f.conf")).line, 1);
  assert.equal(confError(() => parseConfText("[ ]\n", "f.conf")).reason, "section header has an empty name");
});

test("a line without '=' is a warning by default (as Asterisk) and an error on request", () => {
  const file = parseConfText("[s]\nallow ulaw\nok=1\n", "f.conf");
  assert.deepEqual(kv(file, 0), [["ok", "=", "1"]]);
  assert.deepEqual(file.warnings, [{ file: "f.conf", line: 2, reason: "no '=' in line: 'allow ulaw'; line ignored" }]);
  const err = confError(() => parseConfText("[s]\nallow ulaw\n", "f.conf", { missingEquals: "error" }));
  assert.equal(err.message, "f.conf:2: no '=' in line: 'allow ulaw'");
});

test("#exec and unknown directives are warnings; CRLF and a BOM are accepted", () => {
  const file = parseConfText("\ufeff[s]\r\n#exec /bin/date\r\n#frobnicate x\r\na=1\r\n", "f.conf");
  assert.deepEqual(kv(file, 0), [["a", "=", "1"]]);
  assert.deepEqual(file.warnings.map((w) => [w.line, w.reason]), [
    [2, "#exec is not supported; line ignored"],
    [3, "unknown directive '#frobnicate'; line ignored"],
  ]);
});

test("#include: quoted or bare, relative to the including file, continuing its section", () => {
  withDir({
    "main.conf": '[top]\na=1\n#include "sub/inc.conf"\nz=26\n#include  sub/more.conf\n',
    "sub/inc.conf": "b=2\n[inner]\nc=3\n",
    "sub/more.conf": "d=4\n",
  }, (dir) => {
    const file = parseConfFile(join(dir, "main.conf"));
    assert.deepEqual(file.sections.map((s) => s.name), ["top", "inner"]);
    assert.deepEqual(kv(file, 0), [["a", "=", "1"], ["b", "=", "2"]]);
    // After the include the includer carries on in the section the included file left open.
    assert.deepEqual(kv(file, 1), [["c", "=", "3"], ["z", "=", "26"], ["d", "=", "4"]]);
    assert.deepEqual(file.sections[1].entries.map((e) => [e.file.slice(dir.length), e.line]), [
      ["/sub/inc.conf", 3], ["/main.conf", 4], ["/sub/more.conf", 1],
    ]);
  });
});

test("#include globs expand in sorted order; #tryinclude tolerates a missing file, #include does not", () => {
  withDir({
    "pjsip.conf": "#include pjsip.d/*.conf\n#tryinclude missing.conf\n#tryinclude none/*.conf\n",
    "pjsip.d/20-b.conf": "[b]\nx=2\n",
    "pjsip.d/10-a.conf": "[a]\nx=1\n",
    "pjsip.d/.hidden.conf": "[hidden]\n",
    "pjsip.d/notes.txt": "[txt]\n",
  }, (dir) => {
    assert.deepEqual(parseConfFile(join(dir, "pjsip.conf")).sections.map((s) => s.name), ["a", "b"]);
    writeFileSync(join(dir, "bad.conf"), "[s]\n#include nowhere.conf\n");
    const err = confError(() => parseConfFile(join(dir, "bad.conf")));
    assert.equal(err.line, 2);
    assert.match(err.reason, /#include 'nowhere\.conf': no such file/);
  });
});

test("include cycles are ConfErrors at the #include line, naming the chain", () => {
  withDir({
    "a.conf": "[s]\n#include b.conf\n",
    "b.conf": "x=1\n#include a.conf\n",
    "self.conf": "[s]\n#include self.conf\n",
    "twice.conf": "[s]\n#include leaf.conf\n#include leaf.conf\n",
    "leaf.conf": "k=v\n",
  }, (dir) => {
    const err = confError(() => parseConfFile(join(dir, "a.conf")));
    assert.equal(err.file, join(dir, "b.conf"));
    assert.equal(err.line, 2);
    assert.match(err.reason, /^#include cycle: .*a\.conf -> .*b\.conf -> .*a\.conf$/);
    assert.match(confError(() => parseConfFile(join(dir, "self.conf"))).reason, /cycle/);
    // Including the same file twice is not a cycle.
    assert.deepEqual(kv(parseConfFile(join(dir, "twice.conf")), 0), [["k", "=", "v"], ["k", "=", "v"]]);
  });
});

test("a missing top-level file is a ConfError naming the file", () => {
  const err = confError(() => parseConfFile("/nonexistent/dir/pjsip.conf"));
  assert.equal(err.file, "/nonexistent/dir/pjsip.conf");
  assert.match(err.reason, /ENOENT/);
});
