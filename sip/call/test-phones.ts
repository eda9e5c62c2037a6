/**
 * pjsip.conf for end-to-end tests with sipp phones at fixed addresses: a UDP transport
 * on `port`, and phones named 6001... with digest auth (password `secret-<name>`) and a
 * static contact at the phone's port, each with extra endpoint lines if given.
 */
export interface TestPhone { readonly name: string; readonly port: number; readonly extra?: string }

export function phonesPjsip(port: number, o: { context: string; endpoint?: string }, phones: readonly TestPhone[]): string {
  const phone = ({ name, port: contactPort, extra = "" }: TestPhone) => `
[${name}](phone)
auth = ${name}
aors = ${name}
callerid = "Phone ${name}" <${name}>
${extra}
[${name}](phone-auth)
username = ${name}
password = secret-${name}
[${name}]
type = aor
contact = sip:${name}@127.0.0.1:${contactPort}
`;
  return `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[phone](!)
type = endpoint
context = ${o.context}
disallow = all
allow = ulaw
${o.endpoint ?? ""}
[phone-auth](!)
type = auth
auth_type = userpass
${phones.map(phone).join("")}`;
}

/** sipp's injection file for a phone's digest credentials. */
export const phoneCredentials = (user: string) => `SEQUENTIAL\n${user};secret-${user}\n`;

/**
 * pjsip.conf of a caller and a called phone: `caller` identified by its address
 * (127.0.0.1, no auth) and `<callee>` with a static contact at `calleePort`, both in
 * `context`, with extra endpoint lines if given. The benchmark and the media tests use it.
 */
export function callerCalleePjsip(port: number, calleePort: number, o: { context: string; callee?: string; endpoint?: string }): string {
  const callee = o.callee ?? "callee";
  const extra = o.endpoint ? `${o.endpoint}\n` : "";
  return `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[caller]
type = endpoint
context = ${o.context}
allow = ulaw
${extra}[caller]
type = identify
endpoint = caller
match = 127.0.0.1
[${callee}]
type = endpoint
context = ${o.context}
allow = ulaw
${extra}aors = ${callee}
[${callee}]
type = aor
contact = sip:${callee}@127.0.0.1:${calleePort}
`;
}
