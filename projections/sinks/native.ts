/**
 * Rows in ClickHouse's Native format: one block, column after column, each value in
 * its binary form. The engine copies such a block into its columns almost as it is,
 * where TabSeparated text must be parsed field by field: inserting a rebuild's CEL
 * rows costs chDB a fifth of the CPU.
 *
 * A block is: varint column count, varint row count, then per column its name, its
 * type (both varint-length strings) and its values:
 * - String: varint byte length and UTF-8 bytes per value;
 * - UInt8/UInt32/UInt64, DateTime64(6) (Int64 µs), DateTime (UInt32 s): little-endian;
 * - Nullable(T): a UInt8 null map (1 = null), then T's values (anything where null);
 * - LowCardinality(String): key version (UInt64 1), then one granule: flags (UInt64:
 *   index width | has additional keys | dictionary update), the key count and keys
 *   (a String column whose first key is the default ""), the row count and each row's
 *   key index, 1, 2, 4 or 8 bytes wide as the key count needs.
 * Encoding columns as rows arrive keeps both the encoder and the engine cheap; the
 * legacy dialect writes each time as DateTime plus its `_us` column (schema.ts).
 */
import { type CdrRow, type CelRow, type RowOrigin, amaFlagCodes } from "../rows.js";
import type { QueueLogRow } from "../queue-log/fold.js";
import type { ProjectionName } from "../projection.js";
import { ByteBuilder } from "./bytes.js";
import { columnsOf, type Dialect } from "./schema.js";

interface Column {
  readonly name: string;
  /** Columns of the block it writes (a legacy time writes two). */
  readonly outputs: number;
  /** The column's name, type and values, appended to `b`. */
  write(b: ByteBuilder): void;
  /** Empty again, its buffers kept for the next block. */
  clear(): void;
}

const TWO32 = 4294967296;

/** A growable array of numbers, written as little-endian integers of a fixed width. */
class Numbers {
  values = new Float64Array(1024);
  length = 0;
  clear(): void { this.length = 0; }
  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }
  write(b: ByteBuilder, bytes: 1 | 2 | 4 | 8): void {
    const out = b.reserve(this.length * bytes);
    let p = out.at;
    const buf = out.buf, v = this.values;
    for (let i = 0; i < this.length; i++) {
      let x = v[i];
      if (bytes === 8) {
        const hi = Math.floor(x / TWO32);
        x -= hi * TWO32;
        buf.writeUInt32LE(x, p);
        buf.writeInt32LE(hi, p + 4);
        p += 8;
      } else if (bytes === 4) { buf.writeUInt32LE(x, p); p += 4; }
      else if (bytes === 2) { buf[p++] = x & 0xff; buf[p++] = x >>> 8; }
      else buf[p++] = x;
    }
  }
}

class StringColumn implements Column {
  readonly outputs = 1;
  private readonly data = new ByteBuilder(1 << 16);
  constructor(readonly name: string) {}
  add(s: string): void { this.data.lengthPrefixed(s); }
  clear(): void { this.data.clear(); }
  write(b: ByteBuilder): void {
    b.lengthPrefixed(this.name);
    b.lengthPrefixed("String");
    b.copy(this.data.bytes());
  }
}

/** Few distinct values: each written once, rows hold their index. */
class DictionaryColumn implements Column {
  readonly outputs = 1;
  private readonly keys = new ByteBuilder(1 << 12);
  private readonly index = new Map<string, number>([["", 0]]);
  private readonly rows = new Numbers();
  constructor(readonly name: string) { this.keys.lengthPrefixed(""); }
  clear(): void {
    this.keys.clear();
    this.keys.lengthPrefixed("");
    this.index.clear();
    this.index.set("", 0);
    this.rows.clear();
  }
  add(s: string): void {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(s, i);
      this.keys.lengthPrefixed(s);
    }
    this.rows.push(i);
  }
  write(b: ByteBuilder): void {
    b.lengthPrefixed(this.name);
    b.lengthPrefixed("LowCardinality(String)");
    const n = this.index.size;
    const width = n <= 0x100 ? 0 : n <= 0x10000 ? 1 : 2;
    b.uint64(1); // key version: shared dictionaries with additional keys
    b.uint64(width | (1 << 9) | (1 << 10)); // index width, has additional keys, needs dictionary update
    b.uint64(n);
    b.copy(this.keys.bytes());
    b.uint64(this.rows.length);
    this.rows.write(b, width === 0 ? 1 : width === 1 ? 2 : 4);
  }
}

class IntColumn implements Column {
  readonly outputs = 1;
  private readonly values = new Numbers();
  constructor(readonly name: string, private readonly type: "UInt8" | "UInt32" | "UInt64") {}
  add(v: number): void { this.values.push(v); }
  clear(): void { this.values.clear(); }
  write(b: ByteBuilder): void {
    b.lengthPrefixed(this.name);
    b.lengthPrefixed(this.type);
    this.values.write(b, this.type === "UInt8" ? 1 : this.type === "UInt32" ? 4 : 8);
  }
}

/** A time in µs: DateTime64(6) (current), or DateTime seconds plus `<name>_us` (legacy); optionally nullable. */
class TimeColumn implements Column {
  private readonly us = new Numbers();
  private readonly nulls: Numbers | null;
  readonly outputs: number;
  constructor(readonly name: string, private readonly dialect: Dialect, nullable: boolean) {
    this.nulls = nullable ? new Numbers() : null;
    this.outputs = dialect === "legacy" ? 2 : 1;
  }
  clear(): void { this.us.clear(); this.nulls?.clear(); }
  add(v: number | null): void {
    if (v === null || v === undefined) { this.nulls!.push(1); this.us.push(0); return; }
    this.nulls?.push(0);
    this.us.push(Math.round(v));
  }
  write(b: ByteBuilder): void {
    const wrap = (t: string) => (this.nulls ? `Nullable(${t})` : t);
    const nullMap = () => this.nulls?.write(b, 1);
    b.lengthPrefixed(this.name);
    if (this.dialect === "current") {
      b.lengthPrefixed(wrap("DateTime64(6, 'UTC')"));
      nullMap();
      this.us.write(b, 8);
      return;
    }
    b.lengthPrefixed(wrap("DateTime('UTC')"));
    nullMap();
    const seconds = new Numbers();
    for (let i = 0; i < this.us.length; i++) seconds.push(Math.floor(this.us.values[i] / 1e6));
    seconds.write(b, 4);
    b.lengthPrefixed(`${this.name}_us`);
    b.lengthPrefixed(wrap("UInt64"));
    nullMap();
    this.us.write(b, 8);
  }
}

const ama = (v: unknown): number => amaFlagCodes[v as keyof typeof amaFlagCodes] ?? 3;

/** The columns of a table in `insertColumns` order, typed by schema.ts (LowCardinality only in the current dialect). */
function columns(table: ProjectionName, d: Dialect): Column[] {
  return columnsOf[table].map(([name, kind]) => {
    switch (kind) {
      case "lc": return d === "current" ? new DictionaryColumn(name) : new StringColumn(name);
      case "str": return new StringColumn(name);
      case "time": return new TimeColumn(name, d, false);
      case "time?": return new TimeColumn(name, d, true);
      case "u8": return new IntColumn(name, "UInt8");
      case "u32": return new IntColumn(name, "UInt32");
      case "u64": return new IntColumn(name, "UInt64");
    }
  });
}

type S = { add(s: string): void };
type N = { add(v: number): void };
type T = { add(v: number | null): void };

/**
 * Rows of one table as a Native block; `add` as the folds produce them, `bytes` once.
 * `clear` makes it ready for the next block with the buffers it has grown: the live
 * projections write a block of each table every half second, and new buffers each time
 * were megabytes a second of large allocations for the thread's C heap to fragment.
 */
export class NativeRows {
  count = 0;
  private readonly cols: Column[];
  private readonly block = new ByteBuilder(1 << 16);
  private readonly addRow: (r: RowOrigin) => void;

  constructor(readonly table: ProjectionName, dialect: Dialect) {
    this.cols = columns(table, dialect);
    const c = this.cols as unknown[];
    if (table === "cdr") {
      const [accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
        disposition, amaflags, userfield, uniqueid, linkedid, peeraccount, sequence, logOffset, logIndex] = c as [S, S, S, S, S, S, S, S, S, T, T, T, N, N, S, N, S, S, S, S, N, N, N];
      this.addRow = (o) => {
        const r = o as CdrRow;
        accountcode.add(r.accountcode); src.add(r.src); dst.add(r.dst); dcontext.add(r.dcontext); clid.add(r.clid); channel.add(r.channel);
        dstchannel.add(r.dstchannel); lastapp.add(r.lastapp); lastdata.add(r.lastdata); start.add(r.start); answer.add(r.answer); end.add(r.end);
        duration.add(r.duration); billsec.add(r.billsec); disposition.add(r.disposition); amaflags.add(ama(r.amaflags)); userfield.add(r.userfield);
        uniqueid.add(r.uniqueid); linkedid.add(r.linkedid); peeraccount.add(r.peeraccount); sequence.add(r.sequence);
        logOffset.add(r.log_offset); logIndex.add(r.log_index);
      };
    } else if (table === "queue_log") {
      const [time, callid, queuename, agent, event, data, d1, d2, d3, d4, d5, logOffset, logIndex] = c as [T, S, S, S, S, S, S, S, S, S, S, N, N];
      this.addRow = (o) => {
        const r = o as QueueLogRow;
        time.add(r.time); callid.add(r.callid); queuename.add(r.queuename); agent.add(r.agent); event.add(r.event); data.add(r.data);
        d1.add(r.data1); d2.add(r.data2); d3.add(r.data3); d4.add(r.data4); d5.add(r.data5); logOffset.add(r.log_offset); logIndex.add(r.log_index);
      };
    } else {
      const [eventtype, eventtime, userdeftype, cidName, cidNum, cidAni, cidRdnis, cidDnid, exten, context, channame, appname, appdata,
        amaflags, accountcode, peeraccount, uniqueid, linkedid, userfield, peer, extra, logOffset, logIndex] = c as [S, T, S, S, S, S, S, S, S, S, S, S, S, N, S, S, S, S, S, S, S, N, N];
      this.addRow = (o) => {
        const r = o as CelRow;
        eventtype.add(r.eventtype); eventtime.add(r.eventtime); userdeftype.add(r.userdeftype); cidName.add(r.cid_name); cidNum.add(r.cid_num);
        cidAni.add(r.cid_ani); cidRdnis.add(r.cid_rdnis); cidDnid.add(r.cid_dnid); exten.add(r.exten); context.add(r.context);
        channame.add(r.channame); appname.add(r.appname); appdata.add(r.appdata); amaflags.add(ama(r.amaflags)); accountcode.add(r.accountcode);
        peeraccount.add(r.peeraccount); uniqueid.add(r.uniqueid); linkedid.add(r.linkedid); userfield.add(r.userfield); peer.add(r.peer);
        extra.add(r.extra); logOffset.add(r.log_offset); logIndex.add(r.log_index);
      };
    }
  }

  add(rows: readonly RowOrigin[]): void {
    for (let i = 0; i < rows.length; i++) this.addRow(rows[i]);
    this.count += rows.length;
  }

  clear(): void {
    for (const c of this.cols) c.clear();
    this.count = 0;
  }

  /** The block (empty when no row was added: a block of no rows is no insert); a view, valid until the next call. */
  bytes(): Buffer {
    const b = this.block;
    b.clear();
    b.varint(this.cols.reduce((n, c) => n + c.outputs, 0));
    b.varint(this.count);
    for (const c of this.cols) c.write(b);
    return b.bytes();
  }
}
