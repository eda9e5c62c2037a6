/**
 * sipp scenarios used by the tests and benchmarks, as text. Fields come from the
 * injection file: [field0] user, [field1] password (see REFERENCE.md for the sipp
 * 3.6.1 quirks these follow: quoted keyword parameters, declared variables).
 */

const register = (expires: number | string, auth: boolean, contactUser = "[field0]") => {
  // No blank line may appear before the end of the headers: build them as a list.
  const headers = [
    "REGISTER sip:[remote_ip]:[remote_port] SIP/2.0",
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    "From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]",
    "To: <sip:[field0]@[remote_ip]>",
    "Call-ID: [call_id]",
    "CSeq: [cseq] REGISTER",
    `Contact: <sip:${contactUser}@[local_ip]:[local_port]>`,
    "Max-Forwards: 70",
    `Expires: ${expires}`,
    "User-Agent: sipp",
    ...(auth ? ['[authentication username="[field0]" password="[field1]"]'] : []),
    "Content-Length: 0",
  ];
  return `
  <send retrans="500">
    <![CDATA[
      ${headers.join("\n      ")}

    ]]>
  </send>`;
};

/** REGISTER, answer the 401 challenge, expect `finalStatus` (default 200). */
export function registerWithAuth(options: { expires?: number; finalStatus?: number; refreshAfterMs?: number; unregisterAfterMs?: number } = {}): string {
  const expires = options.expires ?? 3600;
  const refresh = options.refreshAfterMs !== undefined ? `
  <pause milliseconds="${options.refreshAfterMs}"/>
  ${register(expires, false)}
  <recv response="401" auth="true"/>
  ${register(expires, true)}
  <recv response="200"/>` : "";
  const unregister = options.unregisterAfterMs !== undefined ? `
  <pause milliseconds="${options.unregisterAfterMs}"/>
  ${register(0, false)}
  <recv response="401" auth="true"/>
  ${register(0, true)}
  <recv response="200"/>` : "";
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest auth">
  ${register(expires, false)}
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
  ${register(expires, true)}
  <recv response="100" optional="true"/>
  <recv response="${options.finalStatus ?? 200}"/>
  ${refresh}
  ${unregister}
</scenario>
`;
}

/** REGISTER without credentials, expecting a given status (e.g. 401 for an unknown user); timed REGISTER → response (`rtd`). */
export function registerExpecting(status: number, expires = 3600): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register expecting ${status}">
  ${register(expires, false)}
  <recv response="100" optional="true"/>
  <recv response="${status}" rtd="true"/>
</scenario>
`;
}

/**
 * A registrar for outbound registration tests: answers the REGISTERs it receives with
 * `responses` in turn (401 carries a challenge; 200 grants `expires` seconds). With
 * `expectAuthorization`, the REGISTER answered 200 must carry credentials.
 */
export function registrarUas(responses: readonly number[], options: { expires?: number; expectAuthorization?: boolean } = {}): string {
  const expires = options.expires ?? 120;
  const reply = (status: number) => {
    const reason = { 200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[status] ?? "Failure";
    // No blank line may appear before the end of the headers: build them as a list.
    const headers = [
      `SIP/2.0 ${status} ${reason}`, "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
      ...(status === 200 ? [`[last_Contact:];expires=${expires}`] : []),
      ...(status === 401 ? ['WWW-Authenticate: Digest realm="sipp", nonce="abcdef[call_number]", algorithm=MD5, qop="auth"'] : []),
      "Content-Length: 0",
    ];
    return `
  <send>
    <![CDATA[
      ${headers.join("\n      ")}

    ]]>
  </send>`;
  };
  const check = (status: number) => status === 200 && options.expectAuthorization ? `
    <action>
      <ereg regexp="Digest .*username=.provider-user." search_in="hdr" header="Authorization:" check_it="true" assign_to="authorization"/>
    </action>` : "";
  const steps = responses.map((status) => `
  <recv request="REGISTER">${check(status)}
  </recv>
  ${reply(status)}`).join("\n");
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar">
${steps}
  ${options.expectAuthorization ? '<Reference variables="authorization"/>' : ""}
</scenario>
`;
}
