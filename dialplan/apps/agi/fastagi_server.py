"""A FastAGI server for the AGI end-to-end test, built on panoramisk (a real AGI client
library): each route drives a call through AGI commands and prints what panoramisk
parsed of every answer as one JSON line. Usage: fastagi_server.py PORT"""
import asyncio
import json
import sys

from panoramisk.fast_agi import Application


def report(route, results, headers=None):
    print(json.dumps({"route": route, "results": results, "env": dict(headers or {})}), flush=True)


async def ivr(request):
    r = {}

    async def cmd(key, line):
        r[key] = await request.send_command(line)
        return r[key]

    await cmd("answer", "ANSWER")
    await cmd("stream", 'STREAM FILE hello-world ""')
    data = await cmd("getdata", "GET DATA beep 6000 4")
    digits = data.get("result", ("", ""))[0]
    await cmd("setvar", 'SET VARIABLE AGI_DIGITS "%s"' % digits)
    await cmd("getvar", "GET VARIABLE AGI_DIGITS")
    await cmd("getfull", 'GET FULL VARIABLE "${AGI_DIGITS}-${CALLERID(num)}"')
    await cmd("dbput", "DATABASE PUT agitest digits %s" % digits)
    await cmd("dbget", "DATABASE GET agitest digits")
    await cmd("exec", 'EXEC Set "EXECVAR=from-exec"')
    await cmd("getexec", "GET VARIABLE EXECVAR")
    await cmd("saydigits", 'SAY DIGITS 42 ""')
    await cmd("status", "CHANNEL STATUS")
    await cmd("unknown", "NO SUCH COMMAND")
    await cmd("hangup", "HANGUP")
    report("ivr", r, request.headers)


async def flow(request):
    r = {}

    async def cmd(key, line):
        r[key] = await request.send_command(line)

    await cmd("answer", "ANSWER")
    await cmd("waitdigit", "WAIT FOR DIGIT 5000")
    await cmd("getoption", "GET OPTION beep 2 5000")
    await cmd("record", "RECORD FILE %s wav # 5000" % request.headers["agi_arg_1"])
    await cmd("control", 'CONTROL STREAM FILE beep ""')
    await cmd("saynumber", 'SAY NUMBER 17 ""')
    await cmd("sayalpha", 'SAY ALPHA ok ""')
    await cmd("musicon", "SET MUSIC on default")
    await cmd("musicoff", "SET MUSIC off")
    await cmd("callerid", 'SET CALLERID "\\"AGI Caller\\" <4242>"')
    await cmd("verbose", 'VERBOSE "flow route" 1')
    await cmd("noop", "NOOP")
    await cmd("context", "SET CONTEXT flownext")
    await cmd("extension", "SET EXTENSION s")
    await cmd("priority", "SET PRIORITY 2")
    report("flow", r, request.headers)


async def dead(request):
    r = {}
    r["getvar"] = await request.send_command("GET VARIABLE NOTE")
    note = r["getvar"].get("result", ("", ""))[1]
    r["dbput"] = await request.send_command("DATABASE PUT agitest dead %s" % note)
    r["stream"] = await request.send_command('STREAM FILE beep ""')
    r["verbose"] = await request.send_command('VERBOSE "dead agi ran" 1')
    report("dead", r, request.headers)


async def hangs(request):
    report("hangs", {})
    await asyncio.sleep(30)


async def closes(request):
    report("closes", {})


async def main():
    app = Application()
    for path, route in (("ivr", ivr), ("flow", flow), ("dead", dead), ("hangs", hangs), ("closes", closes)):
        app.add_route(path, route)
    server = await asyncio.start_server(app.handler, "127.0.0.1", int(sys.argv[1]))
    print("READY", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
