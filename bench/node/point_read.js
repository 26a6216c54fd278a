// bench/node/point_read.js -- warm point reads by the official Node client
// (@google-cloud/spanner) against the emulator (SPANNER_EMULATOR_HOST, gRPC).
//   node point_read.js PROJECT INSTANCE DATABASE TABLE ROWS COUNT
// Reads COUNT random keys of TABLE (k INT64 key, v STRING) with
// table.read (streamingRead, single-use read-only), after 50 untimed
// warm-up reads; prints "median_s=... p90_s=... reads=COUNT".
'use strict';
const {Spanner} = require('@google-cloud/spanner');

async function main() {
  const [project, instance, dbname, tname, rows, count] = process.argv.slice(2);
  const spanner = new Spanner({projectId: project});
  const db = spanner.instance(instance).database(dbname);
  const table = db.table(tname);
  const nrows = Number(rows);
  const one = async () => {
    const k = 1 + Math.floor(Math.random() * nrows);
    const [r] = await table.read({keys: [String(k)], columns: ['k', 'v'], json: true});
    if (r.length !== 1) throw new Error('key ' + k + ': ' + r.length + ' rows');
  };
  for (let i = 0; i < 50; i++) await one();
  const t = [];
  for (let i = 0; i < Number(count); i++) {
    const t0 = process.hrtime.bigint();
    await one();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  const q = p => t[Math.min(t.length - 1, Math.floor(p * t.length))];
  const med = t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  console.log('median_s=' + med.toFixed(6) + ' p90_s=' + q(0.9).toFixed(6) + ' reads=' + t.length);
  await db.close();
}
main().catch(e => { console.error(e); process.exit(1); });
