"""The bare endpoint the chat turns are compared with: the same stack, two Redis round trips.

One pipeline (de-duplication SET NX + GET of a state), one SET of the state
with a TTL, a small JSON reply: what a turn costs before chatsurvey does
anything of its own. Served by gunicorn exactly like the real app.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from redis import Redis

app = Flask("bare")
redis = Redis.from_url(os.environ["REDIS_URL"])
STATE = b'{"F":1,"f":"your-life","v":1,"s":0,"a":12,"k":[],"A":{},"h":[],"c":true}'


@app.post("/bare")
def bare():
    body = request.get_json(force=True)
    pipe = redis.pipeline(transaction=False)
    pipe.set(f"bare:m:{body['message_id']}", b"1", nx=True, ex=172800)
    pipe.get(f"bare:c:{body['session']}")
    _, state = pipe.execute()
    redis.set(f"bare:c:{body['session']}", state or STATE, ex=7200)
    return jsonify(status="active", replies=[{"type": "question", "text": "How are you?"}])
