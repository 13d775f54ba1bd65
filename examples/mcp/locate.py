"""Ask a repository over MCP, as an agent would: `python examples/mcp/locate.py REPO "QUESTION"`.

Starts `rag serve REPO` as a subprocess (stdio), calls `locate`, then `describe` on the answer, and
prints both. The same calls work against `rag serve --http HOST:PORT` with
`Client("http://HOST:PORT/mcp")`.
"""
import json
import sys

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main(repo: str, question: str) -> None:
    server = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "serve", repo])
    async with Client(server) as client:
        located = await client.call_tool("locate", {"question": question, "k": 5})
        if located.is_error:
            sys.exit(f"locate: {located.content[0].text}")
        answer = json.loads(located.content[0].text)
        for c in answer["candidates"]:
            print(f"{c['score']:7.3f}  {c['module']}  ({'; '.join(c['why'][:2])})")
        if answer["answer"]:
            described = json.loads((await client.call_tool("describe", {"module": answer["answer"]["module"]})).content[0].text)
            print(f"\n{described['module']}: {described['summary']}")
            for s in described["symbols"][:10]:
                print(f"  {s['kind']:<8} {s['name']}  lines {s['lines'][0]}-{s['lines'][1]}")
            print("  called by:", ", ".join(f for f, _ in described["neighbours"]["called_by"][:5]) or "-")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.splitlines()[0])
    anyio.run(main, sys.argv[1], sys.argv[2])
