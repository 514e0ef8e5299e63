// A whole Bluesky network on 127.0.0.1, for the outreach metrics tests: a PLC
// directory, a PDS and the bsky app view (with the moderation service they
// expect), from @atproto/dev-env's TestNetwork.
//
//   node tests/bluesky-network/network.mjs --postgres-url URL --schema NAME --redis HOST:PORT
//
// (or BSKY_POSTGRES_URL, BSKY_POSTGRES_SCHEMA, REDIS_HOST). The app view keeps
// its index in PostgreSQL, in the schemas appview_NAME and ozone_NAME (NAME:
// letters and underscores). The PDS keeps its files under TMPDIR. Prints one
// JSON line with "ready": true and the PDS, app view and PLC addresses once all
// listen; stops on SIGTERM, SIGINT or when stdin closes.
import dns from 'node:dns'
import net from 'node:net'
import { parseArgs } from 'node:util'

const HOST = '127.0.0.1'
const LOOPBACK = new Set([HOST, 'localhost', '::1'])

const { values: args } = parseArgs({
  options: {
    'postgres-url': { type: 'string', default: process.env.BSKY_POSTGRES_URL },
    schema: { type: 'string', default: process.env.BSKY_POSTGRES_SCHEMA },
    redis: { type: 'string', default: process.env.REDIS_HOST },
  },
})
if (!args['postgres-url'] || !args.schema || !args.redis) {
  console.error('usage: node network.mjs --postgres-url URL --schema NAME --redis HOST:PORT')
  process.exit(2)
}
if (!/^[A-Za-z_]+$/.test(args.schema)) {
  console.error(`schema must be letters and underscores only, not ${JSON.stringify(args.schema)}`)
  process.exit(2)
}
if (!process.env.TMPDIR) {
  console.error('set TMPDIR: the PDS keeps its data files there')
  process.exit(2)
}

// Every server in the network (and get-port's probes) calls listen() without a
// host, or with 0.0.0.0, which binds every interface: pin them all to loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...rest) {
  const [first] = rest
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.port !== undefined && !LOOPBACK.has(first.host)) {
      rest[0] = { ...first, host: HOST }
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof rest[1] === 'string' && !LOOPBACK.has(rest[1])) {
      rest[1] = HOST
    } else if (typeof rest[1] !== 'string') {
      rest.splice(1, 0, HOST)
    }
  }
  return listen.apply(this, rest)
}
// The services address each other as http://localhost:PORT; they listen on IPv4.
dns.setDefaultResultOrder('ipv4first')

// dev-env reads the Redis address from the environment.
process.env.REDIS_HOST = args.redis
const { TestNetwork } = (await import('@atproto/dev-env')).default

const network = await TestNetwork.create({
  dbPostgresUrl: args['postgres-url'],
  dbPostgresSchema: args.schema,
})

const loopback = (url) => url.replace('//localhost:', `//${HOST}:`)
console.log(
  JSON.stringify({
    ready: true,
    pds: loopback(network.pds.url),
    appview: loopback(network.bsky.url),
    plc: loopback(network.plc.url),
    appview_did: network.bsky.ctx.cfg.serverDid,
  }),
)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
