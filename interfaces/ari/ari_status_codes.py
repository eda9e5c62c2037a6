#!/usr/bin/env python3
"""ARI's REST semantics checked case by case with a plain HTTP client (urllib).

Usage: ari_status_codes.py http://127.0.0.1:8088
Prints a JSON list of {name, status, expected, body}: one per request.
"""
import base64
import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/") + "/ari"
results = []


def call(name, method, path, expected, user=("asterisk", "secret"), body=None):
    headers = {}
    if user:
        token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    results.append({"name": name, "status": status, "expected": expected, "body": text[:300]})
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


# Authentication: Basic, api_key, nothing, a wrong password, a read-only user writing.
call("no credentials", "GET", "/asterisk/info", 401, user=None)
call("wrong password", "GET", "/asterisk/info", 401, user=("asterisk", "nope"))
call("unknown user", "GET", "/asterisk/info", 401, user=("mallory", "secret"))
call("api_key", "GET", "/asterisk/ping?api_key=asterisk:secret", 200, user=None)
call("read-only user reads", "GET", "/channels", 200, user=("viewer", "look"))
call("read-only user writes", "POST", "/bridges", 403, user=("viewer", "look"))

# The Swagger documents.
docs = call("resources.json", "GET", "/api-docs/resources.json", 200)
if docs and docs.get("swaggerVersion") != "1.2":
    results.append({"name": "swaggerVersion", "status": 0, "expected": 1, "body": str(docs)[:200]})
for api in (docs or {}).get("apis", []):
    name = api["path"].split("/")[-1].replace(".{format}", "")
    doc = call(f"api-docs {name}", "GET", f"/api-docs/{name}.json", 200)
    if not doc or not doc.get("apis") or not all(op.get("nickname") and op.get("httpMethod") for a in doc["apis"] for op in a["operations"]):
        results.append({"name": f"api-docs {name} shape", "status": 0, "expected": 1, "body": str(doc)[:200]})
call("unknown api-docs", "GET", "/api-docs/nothing.json", 404)

# Unknown resources, wrong methods, bad parameters.
call("unknown resource", "GET", "/nothing", 404)
call("wrong method", "PUT", "/channels", 405)
call("wrong method on an id", "PATCH", "/bridges/abc", 405)
call("unknown channel", "GET", "/channels/no-such-channel", 404)
call("hangup of an unknown channel", "DELETE", "/channels/no-such-channel", 404)
call("answer of an unknown channel", "POST", "/channels/no-such-channel/answer", 404)
call("originate without endpoint", "POST", "/channels?app=demo", 400)
call("originate without app or extension", "POST", "/channels?endpoint=PJSIP/6002", 400)
call("originate with both app and extension", "POST", "/channels?endpoint=PJSIP/6002&app=demo&extension=100", 400)
call("originate to an unknown technology", "POST", "/channels?endpoint=FOO/1&app=demo", 400)
call("originate with a bad timeout", "POST", "/channels?endpoint=PJSIP/6002&app=demo&timeout=soon", 400)
call("originate to an endpoint that does not exist", "POST", "/channels?endpoint=PJSIP/nobody&app=demo", 400)
call("bad hangup reason", "DELETE", "/channels/x?reason=bored", 400)
call("bad bridge type", "POST", "/bridges?type=party", 400)
call("variable of an unknown channel", "GET", "/channels/x/variable?variable=FOO", 404)
call("variable without a name", "GET", "/channels/x/variable", 400)

# Bridges.
bridge = call("create a bridge", "POST", "/bridges?type=mixing&name=room", 200)
bid = (bridge or {}).get("id", "none")
call("get the bridge", "GET", f"/bridges/{bid}", 200)
call("list bridges", "GET", "/bridges", 200)
call("add an unknown channel", "POST", f"/bridges/{bid}/addChannel?channel=nobody", 400)
call("add without a channel", "POST", f"/bridges/{bid}/addChannel", 400)
call("add to an unknown bridge", "POST", "/bridges/nobody/addChannel?channel=x", 404)
call("remove an unknown channel", "POST", f"/bridges/{bid}/removeChannel?channel=nobody", 400)
call("create with an id", "POST", "/bridges/my-bridge?type=holding", 200)
call("destroy it", "DELETE", "/bridges/my-bridge", 204)
call("destroy it again", "DELETE", "/bridges/my-bridge", 404)
call("bridge play without media", "POST", f"/bridges/{bid}/play", 400)
call("bridge record with an unknown format", "POST", f"/bridges/{bid}/record?name=r1&format=mp9", 422)
call("bridge record without a name", "POST", f"/bridges/{bid}/record?format=wav", 400)
call("bridge record with a negative maxSilenceSeconds", "POST", f"/bridges/{bid}/record?name=r1&format=wav&maxSilenceSeconds=-1", 400)
call("bridge record with a bad terminateOn", "POST", f"/bridges/{bid}/record?name=r1&format=wav&terminateOn=5", 400)
call("bridge record with a bad ifExists", "POST", f"/bridges/{bid}/record?name=r1&format=wav&ifExists=keep", 400)
call("bridge record", "POST", f"/bridges/{bid}/record?name=pyrec&format=wav", 201)
call("the same name while it records, even to overwrite", "POST", f"/bridges/{bid}/record?name=pyrec&format=wav&ifExists=overwrite", 409)
call("stop it", "POST", "/recordings/live/pyrec/stop", 204)
call("ifExists=fail with that name stored, in another format", "POST", f"/bridges/{bid}/record?name=pyrec&format=sln&ifExists=fail", 409)
call("delete the stored one", "DELETE", "/recordings/stored/pyrec", 204)
call("bridge music on hold", "POST", f"/bridges/{bid}/moh", 204)
call("bridge music on hold stopped", "DELETE", f"/bridges/{bid}/moh", 204)
call("music on hold on an unknown bridge", "POST", "/bridges/nobody/moh", 404)
call("record an unknown bridge", "POST", "/bridges/nobody/record?name=r2&format=wav", 404)
call("video source: an unknown channel", "POST", f"/bridges/{bid}/videoSource/nobody", 400)
call("video source on an unknown bridge", "POST", "/bridges/nobody/videoSource/x", 404)
call("clear the video source", "DELETE", f"/bridges/{bid}/videoSource", 204)
call("clear it on an unknown bridge", "DELETE", "/bridges/nobody/videoSource", 404)
call("set it with the wrong method", "GET", f"/bridges/{bid}/videoSource/x", 405)
mode = call("video mode after clearing", "GET", f"/bridges/{bid}", 200)
if (mode or {}).get("video_mode") != "talker" or "video_source_id" in (mode or {}):
    results.append({"name": "video mode talker", "status": 0, "expected": 1, "body": str(mode)})
call("destroy the first", "DELETE", f"/bridges/{bid}", 204)

# Media operations on channels that do not exist, and bad parameters (ARI 22's codes).
call("snoop on an unknown channel", "POST", "/channels/nobody/snoop?app=a&spy=in", 404)
call("snoop with a bad direction", "POST", "/channels/nobody/snoop?app=a&spy=up", 400)
call("snoop without app", "POST", "/channels/nobody/snoop?spy=in", 400)
call("mute an unknown channel", "POST", "/channels/nobody/mute", 404)
call("silence an unknown channel", "POST", "/channels/nobody/silence", 404)
call("unmute an unknown channel", "DELETE", "/channels/nobody/mute?direction=out", 404)
call("redirect an unknown channel", "POST", "/channels/nobody/redirect?endpoint=PJSIP/6002", 404)
call("redirect without endpoint", "POST", "/channels/nobody/redirect", 400)
call("externalMedia without format", "POST", "/channels/externalMedia?app=a&external_host=127.0.0.1:9", 400)
call("externalMedia without external_host", "POST", "/channels/externalMedia?app=a&format=ulaw", 400)
call("externalMedia audiosocket over udp", "POST", "/channels/externalMedia?app=a&external_host=127.0.0.1:9&format=slin&encapsulation=audiosocket&data=0c3a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", 400)
call("externalMedia over websocket", "POST", "/channels/externalMedia?app=a&external_host=c1&format=ulaw&transport=websocket&encapsulation=none", 501)
call("externalMedia with a bad encapsulation", "POST", "/channels/externalMedia?app=a&external_host=127.0.0.1:9&format=ulaw&encapsulation=sdp", 400)

# Playbacks, recordings, sounds, endpoints, applications, device states, variables.
call("unknown playback", "GET", "/playbacks/nothing", 404)
call("stop an unknown playback", "DELETE", "/playbacks/nothing", 404)
call("control with a bad operation", "POST", "/playbacks/nothing/control?operation=dance", 400)
call("unknown live recording", "GET", "/recordings/live/nothing", 404)
call("unknown stored recording", "GET", "/recordings/stored/nothing", 404)
call("stored recordings", "GET", "/recordings/stored", 200)
call("a sound", "GET", "/sounds/hello-world", 200)
call("an unknown sound", "GET", "/sounds/no-such-sound", 404)
call("endpoints", "GET", "/endpoints", 200)
call("PJSIP endpoints", "GET", "/endpoints/PJSIP", 200)
call("one endpoint", "GET", "/endpoints/PJSIP/6002", 200)
call("an unknown endpoint", "GET", "/endpoints/PJSIP/nobody", 404)
call("applications", "GET", "/applications", 200)
call("an unknown application", "GET", "/applications/nobody", 404)
call("device state of ours", "PUT", "/deviceStates/Stasis:desk?deviceState=BUSY", 204)
state = call("read it back", "GET", "/deviceStates/Stasis:desk", 200)
if (state or {}).get("state") != "BUSY":
    results.append({"name": "device state value", "status": 0, "expected": 1, "body": str(state)})
call("a device not ARI's", "PUT", "/deviceStates/PJSIP:6002?deviceState=BUSY", 409)
call("a bad device state", "PUT", "/deviceStates/Stasis:desk?deviceState=ASLEEP", 400)
call("set a mailbox", "PUT", "/mailboxes/1000@default?oldMessages=1&newMessages=2", 204)
box = call("read the mailbox", "GET", "/mailboxes/1000@default", 200)
if (box or {}).get("new_messages") != 2:
    results.append({"name": "mailbox value", "status": 0, "expected": 1, "body": str(box)})
call("a mailbox without counts", "PUT", "/mailboxes/1000@default", 400)
call("delete the mailbox", "DELETE", "/mailboxes/1000@default", 204)
call("an unknown mailbox", "GET", "/mailboxes/1000@default", 404)
call("set a global", "POST", "/asterisk/variable?variable=GREETING&value=hi", 204)
value = call("read the global", "GET", "/asterisk/variable?variable=GREETING", 200)
if (value or {}).get("value") != "hi":
    results.append({"name": "global value", "status": 0, "expected": 1, "body": str(value)})
call("user event to an unknown application", "POST", "/events/user/hello?application=nobody", 404)
call("info", "GET", "/asterisk/info", 200)
req = urllib.request.Request(BASE + "/bridges", data=b"{not json", method="POST",
                             headers={"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(b"asterisk:secret").decode()})
try:
    urllib.request.urlopen(req, timeout=10)
    results.append({"name": "malformed JSON body", "status": 200, "expected": 400, "body": ""})
except urllib.error.HTTPError as e:
    results.append({"name": "malformed JSON body", "status": e.code, "expected": 400, "body": e.read().decode()[:200]})

print(json.dumps(results))
