// A real Bluesky PDS and a PLC directory on 127.0.0.1, for the outreach tests.
//
//   node tests/bluesky/pds.mjs --pds-port N --plc-port M --data DIR
//
// (or PDS_PORT, PLC_PORT, PDS_DATA). Prints one JSON line with "ready": true
// once both servers listen, and shuts both down on SIGTERM or SIGINT. The PLC
// directory keeps its operations in memory; the PDS keeps its SQLite files and
// blobs in DIR. Rate limits are on, as on a real server, so a test can see a 429.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

import pdsPackage from '@atproto/pds'
import { Database as PlcDatabase, PlcServer } from '@did-plc/server'

const { PDS, envToCfg, envToSecrets } = pdsPackage
const HOST = '127.0.0.1'

const { values: args } = parseArgs({
  options: {
    'pds-port': { type: 'string', default: process.env.PDS_PORT },
    'plc-port': { type: 'string', default: process.env.PLC_PORT },
    data: { type: 'string', default: process.env.PDS_DATA },
  },
})
if (!args['pds-port'] || !args['plc-port'] || !args.data) {
  console.error('usage: node pds.mjs --pds-port N --plc-port M --data DIR')
  process.exit(2)
}
const pdsPort = Number(args['pds-port'])
const plcPort = Number(args['plc-port'])
const dataDir = path.resolve(args.data)

// Both servers call express's app.listen(port), which binds every interface:
// pin that one app to loopback instead.
function listenOnLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, HOST, ...rest)
}

const plc = PlcServer.create({ db: PlcDatabase.mock(), port: plcPort })
listenOnLoopback(plc.app)
await plc.start()

const blobDir = path.join(dataDir, 'blobs')
mkdirSync(blobDir, { recursive: true })
const env = {
  port: pdsPort,
  hostname: 'localhost',
  devMode: true,
  dataDirectory: dataDir,
  blobstoreDiskLocation: blobDir,
  didPlcUrl: `http://${HOST}:${plcPort}`,
  inviteRequired: false,
  serviceHandleDomains: ['.test'],
  rateLimitsEnabled: true,
  crawlers: [],
  jwtSecret: randomBytes(16).toString('hex'),
  adminPassword: randomBytes(16).toString('hex'),
  // A secp256k1 private key is any 32 bytes below the curve order: random bytes are one.
  plcRotationKeyK256PrivateKeyHex: randomBytes(32).toString('hex'),
}
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
listenOnLoopback(pds.app)
await pds.start()

console.log(
  JSON.stringify({
    ready: true,
    pds: `http://${HOST}:${pdsPort}`,
    plc: `http://${HOST}:${plcPort}`,
  }),
)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await pds.destroy()
  await plc.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
