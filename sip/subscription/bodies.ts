/**
 * NOTIFY bodies of the event packages Recall serves, as Asterisk's body generators
 * write them: dialog-info+xml (RFC 4235, res_pjsip_dialog_info_body_generator), PIDF
 * (RFC 3863 with RPID activities, res_pjsip_pidf_body_generator) and
 * simple-message-summary (RFC 3842, res_pjsip_mwi_body_generator). Pure functions of
 * the state told and the subscription's names.
 */

/** The body type each package answers with, and the Accept values it takes. */
export const PACKAGES = {
  dialog: { type: "application/dialog-info+xml", accepts: ["application/dialog-info+xml"] },
  presence: { type: "application/pidf+xml", accepts: ["application/pidf+xml"] },
  "message-summary": { type: "application/simple-message-summary", accepts: ["application/simple-message-summary"] },
} as const;
export type Package = keyof typeof PACKAGES;

export function isPackage(event: string): event is Package {
  return Object.prototype.hasOwnProperty.call(PACKAGES, event);
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** What an extension state name (`Idle`, `InUse&Ringing` ...) means to each body (ast_sip_presence_exten_state_to_str). */
function meaning(state: string): { dialog: "terminated" | "early" | "confirmed"; open: boolean; activity?: string; note: string } {
  switch (state) {
    case "Ringing": return { dialog: "early", open: true, activity: "busy", note: "Ringing" };
    case "InUse&Ringing": return { dialog: "confirmed", open: true, activity: "busy", note: "Ringing" };
    case "InUse": return { dialog: "confirmed", open: true, activity: "on-the-phone", note: "On the phone" };
    case "Busy": return { dialog: "confirmed", open: false, activity: "busy", note: "On the phone" };
    case "Hold": case "InUse&Hold": return { dialog: "confirmed", open: true, activity: "busy", note: "On hold" };
    case "Unavailable": return { dialog: "terminated", open: false, activity: "away", note: "Unavailable" };
    default: return { dialog: "terminated", open: true, note: "Ready" };
  }
}

/**
 * dialog-info+xml for extension `exten` whose state is `state`; `entity` is the
 * watched resource's URI. One dialog element named after the extension: early with
 * direction recipient while it rings, confirmed while in use, terminated when idle.
 */
export function dialogInfoBody(o: { entity: string; exten: string; version: number; state: string }): string {
  const m = meaning(o.state);
  const hold = o.state === "Hold" || o.state === "InUse&Hold";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${o.version}" state="full" entity="${xml(o.entity)}">`,
    ` <dialog id="${xml(o.exten)}"${m.dialog === "early" ? ` direction="recipient"` : ""}>`,
    `  <state>${m.dialog}</state>`,
    ...(hold ? [`  <local>`, `   <target uri="${xml(o.entity)}">`, `    <param pname="+sip.rendering" pvalue="no"/>`, `   </target>`, `  </local>`] : []),
    ` </dialog>`,
    `</dialog-info>`,
    ``,
  ].join("\n");
}

/** PIDF with an RPID activity: basic open/closed, a note, the activity while busy. */
export function pidfBody(o: { entity: string; exten: string; state: string }): string {
  const m = meaning(o.state);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<presence entity="${xml(o.entity)}" xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid">`,
    ` <note>${m.note}</note>`,
    ` <tuple id="${xml(o.exten)}">`,
    `  <status>`,
    `   <basic>${m.open ? "open" : "closed"}</basic>`,
    `  </status>`,
    `  <contact priority="1">${xml(o.entity)}</contact>`,
    ` </tuple>`,
    m.activity ? ` <dm:person>\n  <rpid:activities>\n   <rpid:${m.activity}/>\n  </rpid:activities>\n </dm:person>` : ` <dm:person/>`,
    `</presence>`,
    ``,
  ].join("\n");
}

/** message-summary for a state `new/old` (voice messages), for the account `account`. */
export function messageSummaryBody(o: { account: string; state: string }): string {
  const [fresh = 0, old = 0] = o.state.split("/").map((n) => Number(n) || 0);
  return `Messages-Waiting: ${fresh > 0 ? "yes" : "no"}\r\nMessage-Account: ${o.account}\r\nVoice-Message: ${fresh}/${old} (0/0)\r\n`;
}
