# A fake node admin API (GET /admin/bus/topics/fp.bus.control.v1/records, GET /admin/objects/..)
# serving one READY and its run_facts_view for a generated world, and a fake IG
# (POST /v1/ingest: ADMIT new event_ids, DUPLICATE seen ones; 400 for arrival_events_5B when
# BAD=1). Writes {"admin","ig"} ports to PORTS_FILE, then IG's counts to PORTS_FILE.ig every
# 0.2 s.
#
# usage: wsp_fake_node.py ORACLE_ROOT GENERATE_JSON PORTS_FILE
import json, hashlib, struct, os, sys, threading, http.server, glob, base64
root, gen_file, ports_file = sys.argv[1], sys.argv[2], sys.argv[3]
gen = json.load(open(gen_file))
wd = gen['world']; rel = os.path.relpath(wd, root)
m = json.load(open(wd + '/manifest.json'))
canon = lambda o: json.dumps(o, sort_keys=True, separators=(',', ':'))
sha = lambda b: hashlib.sha256(b).hexdigest()
def H(*parts):
    h = hashlib.sha256()
    for p in parts:
        b = p.encode(); h.update(struct.pack('>Q', len(b))); h.update(b)
    return h.hexdigest()
order = ['s3_event_stream_with_fraud_6B','arrival_events_5B','s1_arrival_entities_6B','s3_flow_anchor_with_fraud_6B']
rcd = sha(canon({'outputs': order, 'traffic_delivery_mode': 'IG_PUSH'}).encode())
mf, ph, sid, seed = m['manifest_fingerprint'], m['parameter_hash'], m['scenario_id'], m['seed']
srid = H('fp.sr.scenario_run_id.v1', mf, ph, sid, str(seed), rcd)
outs, sp = [], []
for i, oid in enumerate(order):
    o = [x for x in m['outputs'] if x['output_id'] == oid][0]
    role = 'business_traffic' if i == 0 else 'context'
    outs.append({'output_id': oid, 'role': role, 'event_type': oid, 'schema_version': 'v1', 'digest': o['digest'], 'rows': o['rows'],
                 'parts': [{'path': rel + '/' + p['path'], 'sha256': p['sha256'], 'rows': p['rows'], 'bytes': p['bytes']} for p in o['parts']]})
    sp.append({'output_id': oid, 'role': role, 'digest': o['digest'], 'rows': o['rows'], 'event_type': oid, 'schema_version': 'v1'})
plan_hash = sha(canon({'manifest_fingerprint': mf, 'outputs': sp, 'traffic_delivery_mode': 'IG_PUSH'}).encode())
prid = 'platform_20260101T000000Z'
receipt = open(wd + '/gate_receipt.json', 'rb').read()
view = canon({'schema_version': 'run_facts_view.v1', 'platform_run_id': prid, 'scenario_run_id': srid, 'scenario_id': sid,
  'manifest_fingerprint': mf, 'parameter_hash': ph, 'seed': seed, 'run_config_digest': rcd, 'plan_hash': plan_hash,
  'started_at_utc': '2026-01-01T00:00:00Z', 'traffic_delivery_mode': 'IG_PUSH',
  'world': {'path': rel, 'gate_receipt': {'path': rel + '/gate_receipt.json', 'sha256': sha(receipt)}}, 'outputs': outs}).encode()
vpath = 'fraud-platform/%s/sr/run_facts_view.json' % prid
ready = canon({'kind': 'READY', 'schema_version': 'ready.v1', 'message_id': H('fp.sr.ready.v1', prid, srid, plan_hash),
  'platform_run_id': prid, 'scenario_run_id': srid, 'scenario_id': sid, 'manifest_fingerprint': mf, 'parameter_hash': ph,
  'seed': seed, 'plan_hash': plan_hash, 'run_config_digest': rcd, 'traffic_delivery_mode': 'IG_PUSH',
  'run_facts_view': {'path': vpath, 'sha256': sha(view)}})
seen = {}; lock = threading.Lock(); posts = [0]
class Admin(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith('/admin/bus/topics/fp.bus.control.v1/records'):
            body = canon({'records': [{'offset': 0, 'timestamp_ms': 1, 'key': prid, 'headers': [{'key': 'fp.schema', 'value': 'ready.v1'}], 'value': ready}], 'next_from': None}).encode()
        elif self.path == '/admin/objects/' + vpath:
            body = view
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
class IG(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers['Content-Length']); e = json.loads(self.rfile.read(n))
        with lock:
            posts[0] += 1
            fresh = e['event_id'] not in seen; seen[e['event_id']] = e['event_type']
            bad = e['event_type'] == 'arrival_events_5B' and os.environ.get('BAD') == '1'
        if bad:
            body = b'{"error":{"code":"schema_violation","message":"envelope.payload.mcc: bad"}}'; self.send_response(400)
        else:
            body = b'{"decision":"ADMITTED"}' if fresh else b'{"decision":"DUPLICATE"}'; self.send_response(200)
        self.send_header('Content-Length', str(len(body))); self.send_header('Content-Type', 'application/json'); self.end_headers(); self.wfile.write(body)
a = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Admin)
i = http.server.ThreadingHTTPServer(('127.0.0.1', 0), IG)
open(ports_file + '.tmp', 'w').write(json.dumps({'admin': a.server_address[1], 'ig': i.server_address[1]}))
os.rename(ports_file + '.tmp', ports_file)
threading.Thread(target=a.serve_forever, daemon=True).start()
threading.Thread(target=i.serve_forever, daemon=True).start()
import time
while True:
    time.sleep(0.2)
    with lock:
        open(ports_file + '.ig.tmp', 'w').write(json.dumps({'posts': posts[0], 'distinct': len(seen)}))
    os.rename(ports_file + '.ig.tmp', ports_file + '.ig')
