/**
 * Pieces every sipp scenario of the tests is built from. Headers are built as lists:
 * sipp must not see a blank line before the end of the headers.
 */

/** A phone's SDP offer/answer: µ-law and telephone-event on `port`, `o=` at `version`. */
export const sdp = (port: number | string = "[media_port]", version = 1, direction?: string): string[] => [
  "v=0", `o=sipp 1 ${version} IN IP4 [local_ip]`, "s=-", "c=IN IP4 [local_ip]", "t=0 0",
  `m=audio ${port} RTP/AVP 0 101`, "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
  ...(direction ? [`a=${direction}`] : []),
];

/** A message body for `<send>`: the header lines, Content-Type when there is a body, Content-Length. */
export function message(lines: readonly string[], body: readonly string[] = [], type = "application/sdp"): string {
  const headers = [...lines, ...(body.length ? [`Content-Type: ${type}`] : []), "Content-Length: [len]"];
  return `<![CDATA[
      ${headers.join("\n      ")}

      ${body.join("\n      ")}
    ]]>`;
}

/** `<send>` of `message(lines, body, type)`, retransmitted every 500 ms when `retrans`. */
export const send = (lines: readonly string[], body: readonly string[] = [], retrans = true, type?: string): string =>
  `  <send${retrans ? ' retrans="500"' : ""}>\n    ${message(lines, body, type)}\n  </send>`;
