import { startCluster, stopAll, waitRemoteInterest, routeURL, waitMeshed } from './dist/test/helpers/cluster.js';
import { startGoServer } from './dist/test/helpers/go-server.js';
import { connect } from '@nats-io/transport-node';
import { readdirSync, readFileSync } from 'node:fs';
const ss = await startCluster(2, {});
const go = await startGoServer(['-DV'], `cluster { name: test-cluster, listen: "127.0.0.1:-1", routes: ["${routeURL(ss[0])}"] }\n`);
try {
await waitMeshed(ss, 1);
console.log('meshed', ss.map(s=>s.server.cluster.numRoutes()));
const a = await connect({servers: ss[1].url}); const g = await connect({servers: go.url});
const sub = g.subscribe('foo.>');
await waitRemoteInterest(ss[1], 'foo.bar');
a.publish('foo.bar', 'hi');
for await (const m of sub) { console.log('got', m.subject, m.string()); break; }
const sub2 = a.subscribe('bar');
await g.flush();
await new Promise(r=>setTimeout(r,300));
g.publish('bar', 'from go');
for await (const m of sub2) { console.log('got2', m.subject, m.string()); break; }
a.subscribe('svc', {callback:(e,m)=>m.respond('pong')});
await new Promise(r=>setTimeout(r,300));
const r = await g.request('svc','x'); console.log('reply', r.string());
console.log(g.info.connect_urls, a.info.connect_urls);
await a.close(); await g.close();
} finally {
console.log(go.logs().split('\n').filter(l=>/ERR|rror|Route|route/.test(l)).slice(0,30).join('\n'));
await go.stop();
await stopAll(ss);
}
