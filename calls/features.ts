/**
 * features.conf: the in-call DTMF features of bridged channels (Asterisk's
 * features_config.c). `[general]` holds the timeouts and the attended transfer's own
 * codes and sounds, `[featuremap]` the codes of the built-in features, which Dial's
 * options enable per call (t/T transfers, h/H disconnect, k/K park, w/W and x/X
 * recording). `[applicationmap]` and feature groups are read and kept, not run yet.
 *
 * Defaults are Asterisk's: `blindxfer => #`, `disconnect => *`, every other feature
 * without a code (so `atxfer` works only once features.conf gives it one).
 * Timeouts are as Asterisk 12+ reads them: featuredigittimeout in milliseconds,
 * transferdigittimeout, atxfernoanswertimeout and atxferloopdelay in seconds.
 *
 * Also here: matching the digits a channel pressed against the codes its call enables
 * (pure, so the call layer and the tests share it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfFile, resolveTemplates, type ConfDiagnostic, type ConfEntry, type ConfFile } from "../conf/tokenizer.js";
import { yesNo } from "../conf/yes-no.js";

export const FEATURE_NAMES = ["blindxfer", "disconnect", "automon", "atxfer", "parkcall", "automixmon"] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface FeaturesGeneral {
  /** Milliseconds to wait for the next digit of a feature code that could still grow. */
  readonly featuredigittimeout: number;
  readonly courtesytone: string;
  readonly recordingfailsound: string;
  /** Seconds to wait for each digit of a transfer target. */
  readonly transferdigittimeout: number;
  /** Seconds an attended transfer target may ring. */
  readonly atxfernoanswertimeout: number;
  readonly atxferdropcall: boolean;
  readonly atxferloopdelay: number;
  readonly atxfercallbackretries: number;
  /** Played to the parties once a transfer completes / when it fails. */
  readonly xfersound: string;
  readonly xferfailsound: string;
  /** Codes the transferer presses while consulting the target of an attended transfer. */
  readonly atxferabort: string;
  readonly atxfercomplete: string;
  readonly atxferthreeway: string;
  readonly atxferswap: string;
  /** How many times a transferer may enter a target that does not exist before the transfer is given up. */
  readonly transferdialattempts: number;
  readonly transferretrysound: string;
  readonly transferinvalidsound: string;
  readonly pickupexten: string;
  readonly pickupsound: string;
  readonly pickupfailsound: string;
}

export interface ApplicationMapItem {
  readonly name: string;
  readonly dtmf: string;
  /** `self` or `peer`, and `caller`/`callee`/`both` after a slash when given. */
  readonly activateOn: string;
  readonly app: string;
  readonly appArgs: string;
  readonly moh: string;
}

export interface FeaturesConfig {
  readonly general: FeaturesGeneral;
  /** Built-in feature → its DTMF code ("" when it has none). */
  readonly featuremap: Readonly<Record<FeatureName, string>>;
  readonly applicationmap: readonly ApplicationMapItem[];
  /** Feature groups: group name → applicationmap item names (with an optional DTMF override). */
  readonly featuregroups: ReadonlyMap<string, readonly { readonly item: string; readonly dtmf: string }[]>;
}

export const DEFAULT_FEATURES_GENERAL: FeaturesGeneral = {
  featuredigittimeout: 1000, courtesytone: "", recordingfailsound: "",
  transferdigittimeout: 3, atxfernoanswertimeout: 15, atxferdropcall: false, atxferloopdelay: 10, atxfercallbackretries: 2,
  xfersound: "beep", xferfailsound: "beeperr",
  atxferabort: "*1", atxfercomplete: "*2", atxferthreeway: "*3", atxferswap: "*4",
  transferdialattempts: 3, transferretrysound: "pbx-invalid", transferinvalidsound: "privacy-incorrect",
  pickupexten: "*8", pickupsound: "", pickupfailsound: "",
};

export const DEFAULT_FEATUREMAP: Readonly<Record<FeatureName, string>> = {
  blindxfer: "#", disconnect: "*", automon: "", atxfer: "", parkcall: "", automixmon: "",
};

export const DEFAULT_FEATURES: FeaturesConfig = {
  general: DEFAULT_FEATURES_GENERAL, featuremap: DEFAULT_FEATUREMAP, applicationmap: [], featuregroups: new Map(),
};

const NUMBERS = new Set<keyof FeaturesGeneral>([
  "featuredigittimeout", "transferdigittimeout", "atxfernoanswertimeout", "atxferloopdelay", "atxfercallbackretries", "transferdialattempts",
]);
const BOOLEANS = new Set<keyof FeaturesGeneral>(["atxferdropcall"]);
/** [general] options Asterisk 12 moved to res_parking.conf: warned about, ignored. */
const PARKING = new Set([
  "context", "parkext", "parkext_exclusive", "parkinghints", "parkedmusicclass", "parkingtime", "parkpos", "findslot",
  "parkedcalltransfers", "parkedcallreparking", "parkedcallhangup", "parkedcallrecording", "comebackcontext",
  "comebacktoorigin", "comebackdialtime", "parkeddynamic", "adsipark",
]);

export interface LoadedFeatures {
  readonly config: FeaturesConfig;
  /** Problems Asterisk would log (and skip): unknown options, bad values, parking options. */
  readonly warnings: readonly ConfDiagnostic[];
}

/** The features of a tokenized features.conf. */
export function parseFeatures(file: ConfFile): LoadedFeatures {
  const warnings: ConfDiagnostic[] = [...file.warnings];
  const warn = (e: ConfEntry, reason: string) => warnings.push({ file: e.file, line: e.line, reason });
  const general: Record<string, string | number | boolean> = { ...DEFAULT_FEATURES_GENERAL };
  const featuremap: Record<string, string> = { ...DEFAULT_FEATUREMAP };
  const applicationmap: ApplicationMapItem[] = [];
  const featuregroups = new Map<string, { item: string; dtmf: string }[]>();
  const groupAt = new Map<string, { file: string; line: number }>();
  let parkingWarned = false;
  for (const section of resolveTemplates(file)) {
    const name = section.name.toLowerCase();
    for (const e of section.entries) {
      const key = e.key.trim().toLowerCase();
      const value = e.value.trim();
      if (name === "general") {
        if (PARKING.has(key)) {
          if (!parkingWarned) warn(e, "Parkinglots are no longer configurable in features.conf; parking is now handled by res_parking.conf");
          parkingWarned = true;
          warn(e, `The option '${e.key}' is no longer configurable in features.conf.`);
        } else if (!(key in DEFAULT_FEATURES_GENERAL)) {
          warn(e, `Unknown option '${e.key}' in [general]`);
        } else if (NUMBERS.has(key as keyof FeaturesGeneral)) {
          const n = /^\d+$/.test(value) ? Number(value) : NaN;
          if (Number.isNaN(n)) warn(e, `Invalid value '${value}' for '${e.key}': not a whole number`);
          else general[key] = n;
        } else if (BOOLEANS.has(key as keyof FeaturesGeneral)) {
          const b = yesNo(value);
          if (b === undefined) warn(e, `Invalid value '${value}' for '${e.key}': not yes or no`);
          else general[key] = b;
        } else {
          general[key] = value;
        }
      } else if (name === "featuremap") {
        if (!(FEATURE_NAMES as readonly string[]).includes(key)) warn(e, `Unknown feature '${e.key}' in [featuremap]`);
        else featuremap[key] = value;
      } else if (name === "applicationmap") {
        // name => dtmf,activate_on[/activated_by],app[,app_args[,moh_class]] (app(args) is accepted too)
        const [dtmf = "", activateOn = "", ...tail] = value.split(",");
        const rest = tail.join(",").trim();
        const paren = /^([^(,]+)\((.*)\)\s*(?:,(.*))?$/.exec(rest);
        const [app = "", appArgs = "", moh = ""] = paren ? [paren[1], paren[2], paren[3] ?? ""] : rest.split(",");
        if (!dtmf.trim() || !app.trim()) { warn(e, `Invalid applicationmap item '${e.key}': ${value}`); continue; }
        applicationmap.push({ name: e.key.trim(), dtmf: dtmf.trim(), activateOn: activateOn.trim().toLowerCase(), app: app.trim(), appArgs: appArgs.trim(), moh: moh.trim() });
      } else {
        // Any other section is a feature group: item => [dtmf override].
        const items = featuregroups.get(section.name) ?? [];
        if (!groupAt.has(section.name)) groupAt.set(section.name, { file: section.file, line: section.line });
        items.push({ item: e.key.trim(), dtmf: value });
        featuregroups.set(section.name, items);
      }
    }
  }
  for (const [group, items] of featuregroups) {
    for (const i of items) {
      if (!applicationmap.some((a) => a.name.toLowerCase() === i.item.toLowerCase())) {
        warnings.push({ ...groupAt.get(group)!, reason: `Featuregroup ${group} refers to non-existent applicationmap item` });
        break;
      }
    }
  }
  return {
    config: { general: general as unknown as FeaturesGeneral, featuremap: featuremap as Record<FeatureName, string>, applicationmap, featuregroups },
    warnings,
  };
}

/** CONFIG_DIR/features.conf, or Asterisk's defaults when there is none. Throws ConfError as the tokenizer does. */
export function loadFeatures(configDir: string): LoadedFeatures {
  const path = join(configDir, "features.conf");
  if (!existsSync(path)) return { config: DEFAULT_FEATURES, warnings: [] };
  return parseFeatures(parseConfFile(path));
}

/** `features show`, laid out as Asterisk's console prints it. */
export function showFeatures(config: FeaturesConfig): string {
  const row = (a: string, b: string, c: string) => `${a.padEnd(25)} ${b.padEnd(7)} ${c.padEnd(7)}\n`;
  const m = config.featuremap;
  let out = row("Builtin Feature", "Default", "Current") + row("---------------", "-------", "-------");
  out += row("Pickup", DEFAULT_FEATURES_GENERAL.pickupexten, config.general.pickupexten);
  out += row("Blind Transfer", DEFAULT_FEATUREMAP.blindxfer, m.blindxfer);
  out += row("Attended Transfer", DEFAULT_FEATUREMAP.atxfer, m.atxfer);
  out += row("One Touch Monitor", DEFAULT_FEATUREMAP.automon, m.automon);
  out += row("Disconnect Call", DEFAULT_FEATUREMAP.disconnect, m.disconnect);
  out += row("Park Call", DEFAULT_FEATUREMAP.parkcall, m.parkcall);
  out += row("One Touch MixMonitor", DEFAULT_FEATUREMAP.automixmon, m.automixmon);
  out += "\n" + row("Dynamic Feature", "Default", "Current") + row("---------------", "-------", "-------");
  out += config.applicationmap.length ? config.applicationmap.map((a) => row(a.name, "no def", a.dtmf)).join("") : "(none)\n";
  out += "\nFeature Groups:\n---------------\n";
  if (!config.featuregroups.size) out += "(none)\n";
  for (const [group, items] of config.featuregroups) {
    out += `===> Group: ${group}\n`;
    for (const i of items) out += `===> --> ${i.item} (${i.dtmf || config.applicationmap.find((a) => a.name === i.item)?.dtmf || ""})\n`;
  }
  return out;
}

/**
 * The built-in features Dial's options enable for each side of the call: `t`/`T`
 * transfers (blind and attended), `h`/`H` disconnect, `k`/`K` park, `w`/`W` and
 * `x`/`X` recording. Lower case is the called party's, upper case the caller's.
 */
export function featuresFromDialOptions(options: Readonly<Record<string, string>>): { caller: FeatureName[]; callee: FeatureName[] } {
  const pick = (t: string, h: string, k: string, w: string, x: string): FeatureName[] => [
    ...(t in options ? ["blindxfer", "atxfer"] as const : []),
    ...(h in options ? ["disconnect"] as const : []),
    ...(k in options ? ["parkcall"] as const : []),
    ...(w in options ? ["automon"] as const : []),
    ...(x in options ? ["automixmon"] as const : []),
  ];
  return { callee: pick("t", "h", "k", "w", "x"), caller: pick("T", "H", "K", "W", "X") };
}

export type FeatureMatch<F extends string> =
  /** `digits` is a code and no longer code starts with it: run it now. */
  | { readonly kind: "match"; readonly feature: F }
  /** `digits` is a code, but a longer one starts with it: run it if no digit follows within featuredigittimeout. */
  | { readonly kind: "ambiguous"; readonly feature: F }
  /** `digits` begins one or more codes: wait for the next digit. */
  | { readonly kind: "prefix" }
  /** No code begins with `digits`: they are ordinary DTMF. */
  | { readonly kind: "none" };

/** Match the digits pressed so far against feature codes (empty codes never match). */
export function matchFeature<F extends string>(digits: string, codes: ReadonlyMap<F, string>): FeatureMatch<F> {
  let exact: F | undefined;
  let longer = false;
  for (const [feature, code] of codes) {
    if (code === "" || !code.startsWith(digits)) continue;
    if (code === digits) exact ??= feature;
    else longer = true;
  }
  if (exact !== undefined) return { kind: longer ? "ambiguous" : "match", feature: exact };
  return longer ? { kind: "prefix" } : { kind: "none" };
}
