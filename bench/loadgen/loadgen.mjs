// Load generator for bench/signaling.py: many WebSocket clients in one Node process.
//
// It speaks three signaling protocols (avacollab, y-webrtc's pub/sub server,
// the PeerJS server) and is driven by the runner over stdin/stdout, one JSON
// line per command, so the runner owns the clock and can sample the server's
// CPU and memory at the same instants the generator counts deliveries:
//
//   join   open every client (at most `concurrency` joins in flight) and
//          answer {ok, latencies: [ms...], opens: [ms...], errors, client}
//          (opens: until the WebSocket opened; latencies: until joined)
//   start  each client sends `window` relays to the next member of its room;
//          every delivery makes its receiver send one more (a closed loop, so
//          the offered load follows the server's pace and never piles up)
//   mark   answer the deliveries so far and this process's CPU time
//   stop   stop sending, wait for the frames in flight, answer
//   close  close every client, answer and exit
//
// The config is one JSON argument: {server, url, clients, roomSize, prefix,
// concurrency, window, payloadBytes, deflate, joinTimeoutMs}.
//
// The `ws` package is used when bench/js/node_modules has it: it is the
// fastest client here, which is what keeps the generator from being the
// bottleneck. Without it, Node's built-in WebSocket is enough for a smoke run.

import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'

const config = JSON.parse(process.argv[2])
const { server, url, clients: count, roomSize, prefix, concurrency, window, payloadBytes } = config
const joinTimeoutMs = config.joinTimeoutMs ?? 10000

let WS = null
try {
  WS = createRequire(new URL('../js/package.json', import.meta.url))('ws')
} catch {
  WS = null
}
const clientKind = WS ? 'ws' : 'builtin'
if (!WS && typeof globalThis.WebSocket !== 'function') {
  process.stderr.write('loadgen: neither the ws package nor a built-in WebSocket is available\n')
  process.exit(2)
}

/** Open a socket with the same small interface whichever client is in use. */
function openSocket (target, onOpen, onText, onClose) {
  if (WS) {
    // Browsers offer permessage-deflate; by default we do not, so that the
    // generator spends no CPU on it (the Node servers decline it anyway).
    // `deflate: true` offers it as a browser would.
    const ws = new WS(target, {
      perMessageDeflate: Boolean(config.deflate),
      skipUTF8Validation: true,
      // An all-zero mask lets ws skip masking each frame. Servers do not
      // check masks; this only makes the generator cheaper.
      generateMask: (mask) => mask.fill(0)
    })
    ws.on('open', onOpen)
    ws.on('message', (data, isBinary) => { if (!isBinary) onText(data) })
    ws.on('close', onClose)
    ws.on('error', () => {}) // a close event follows and is what we count
    return ws
  }
  const ws = new globalThis.WebSocket(target)
  ws.onopen = onOpen
  ws.onmessage = (event) => { if (typeof event.data === 'string') onText(Buffer.from(event.data)) }
  ws.onclose = onClose
  ws.onerror = () => {}
  return ws
}

// -- the three protocols -------------------------------------------------
//
// Each says how to join (what to send on open, which frame completes the
// join), how to address a relay to one other client, and how a delivered
// relay starts. Frames arrive as Buffers and relays are recognised by their
// first bytes, which works because all three servers write the "type" key
// first: the generator neither decodes nor parses what it relays.

const protocols = {
  avacollab: {
    url: () => url,
    onOpen: (c) => {
      // hello and join are pipelined: the server handles frames in order.
      c.ws.send('{"type":"hello","version":1}')
      c.ws.send(JSON.stringify({ type: 'join', room: c.room }))
    },
    joined: (c, text) => {
      if (!text.startsWith('{"type":"welcome"')) return false
      c.address = JSON.parse(text).peer
      return true
    },
    relay: (to, pad) => JSON.stringify({ type: 'offer', to, sdp: pad }),
    delivery: '{"type":"offer"',
    error: '{"type":"error"'
  },
  ywebrtc: {
    url: () => url,
    onOpen: (c) => {
      // A y-webrtc client subscribes to its room's topic. The server never
      // acknowledges a subscribe, so a ping, answered after it in order,
      // marks the join as done. The second topic, the client's own, lets a
      // relay reach exactly one client, as on the other two servers.
      c.address = `${c.room}.${c.index}`
      c.ws.send(JSON.stringify({ type: 'subscribe', topics: [c.room, c.address] }))
      c.ws.send('{"type":"ping"}')
    },
    joined: (c, text) => text.startsWith('{"type":"pong"'),
    relay: (to, pad) => JSON.stringify({ type: 'publish', topic: to, data: { type: 'signal', sdp: pad } }),
    delivery: '{"type":"publish"',
    error: null
  },
  peerjs: {
    // PeerJS has no rooms: a client picks its id and a secret token.
    url: (c) => {
      c.address = `${c.room}-${c.index}`
      return `${url}?key=peerjs&id=${c.address}&token=${randomBytes(8).toString('hex')}`
    },
    onOpen: () => {},
    joined: (c, text) => text.startsWith('{"type":"OPEN"'),
    relay: (dst, pad) => JSON.stringify({ type: 'OFFER', dst, payload: { type: 'data', sdp: pad } }),
    delivery: '{"type":"OFFER"',
    error: '{"type":"ERROR"'
  }
}

const proto = protocols[server]
if (!proto) {
  process.stderr.write(`loadgen: unknown server ${server}\n`)
  process.exit(2)
}

// -- state ---------------------------------------------------------------

const clients = []
for (let index = 0; index < count; index++) {
  const room = `${prefix}r${Math.floor(index / roomSize)}`
  clients.push({ index, room, ws: null, address: null, frame: null, open: false, joinDone: null })
}

let running = false
let sent = 0
let delivered = 0
let closedUnexpectedly = 0
const errors = []
let closing = false

function recordError (text) {
  if (errors.length < 5) errors.push(text.slice(0, 200))
  else errors.push('')
}

const deliveryPrefix = Buffer.from(proto.delivery)
const sendOptions = { binary: false }

function onText (c, data) {
  if (data.length >= deliveryPrefix.length &&
      deliveryPrefix.compare(data, 0, deliveryPrefix.length) === 0) {
    delivered++
    if (running && c.frame !== null) {
      c.ws.send(c.frame, sendOptions)
      sent++
    }
    return
  }
  const text = data.toString()
  if (c.joinDone !== null && proto.joined(c, text)) {
    const done = c.joinDone
    c.joinDone = null
    done(null)
    return
  }
  if (proto.error !== null && text.startsWith(proto.error)) recordError(text)
}

/** Join one client: resolves to [ms until the WebSocket opened, ms until
 * the join completed], or null when it failed. */
function join (c) {
  return new Promise((resolve) => {
    const started = performance.now()
    let opened = NaN
    const timer = setTimeout(() => finish(new Error('join timed out')), joinTimeoutMs)
    function finish (err) {
      clearTimeout(timer)
      c.joinDone = null
      resolve(err ? null : [opened - started, performance.now() - started])
    }
    c.joinDone = finish
    const target = proto.url(c)
    c.ws = openSocket(
      target,
      () => { opened = performance.now(); c.open = true; proto.onOpen(c) },
      (text) => onText(c, text),
      () => {
        c.open = false
        if (!closing) closedUnexpectedly++
        if (c.joinDone !== null) finish(new Error('closed while joining'))
      }
    )
  })
}

async function joinAll () {
  const latencies = []
  const opens = []
  let failed = 0
  let next = 0
  async function worker () {
    while (next < clients.length) {
      const times = await join(clients[next++])
      if (times === null) {
        failed++
      } else {
        opens.push(times[0])
        latencies.push(times[1])
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker))
  return { latencies, opens, failed }
}

/** Give each client its relay frame: to the next member of its room, in a ring. */
function prepareFrames () {
  for (const c of clients) {
    const first = c.index - (c.index % roomSize)
    const size = Math.min(roomSize, clients.length - first)
    const peer = clients[first + ((c.index - first + 1) % size)]
    if (peer === c || peer.address === null) {
      c.frame = null
      continue
    }
    // Every frame is payloadBytes long, whatever the length of the address.
    const pad = 'v=0 o=- '.padEnd(Math.max(1, payloadBytes - proto.relay(peer.address, '').length), 'a')
    // ws sends a Buffer as is (as text, by sendOptions); the built-in
    // client needs a string.
    const frame = proto.relay(peer.address, pad)
    c.frame = WS ? Buffer.from(frame) : frame
  }
}

function cpuMicros () {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

async function waitFor (predicate, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (!predicate() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return predicate()
}

// -- commands ------------------------------------------------------------

function reply (message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

const commands = {
  async join () {
    const { latencies, opens, failed } = await joinAll()
    prepareFrames()
    reply({ ok: 'join', latencies, opens, failed, client: clientKind, errors: errors.length, samples: errors.slice(0, 5) })
  },
  async start () {
    running = true
    for (const c of clients) {
      if (c.frame === null || !c.open) continue
      for (let i = 0; i < window; i++) c.ws.send(c.frame, sendOptions)
      sent += window
    }
    reply({ ok: 'start' })
  },
  async mark () {
    reply({ ok: 'mark', delivered, cpuMicros: cpuMicros(), at: performance.now() })
  },
  async stop () {
    running = false
    const drained = await waitFor(() => delivered >= sent, 5000)
    reply({
      ok: 'stop',
      sent,
      delivered,
      drained,
      closed: closedUnexpectedly,
      errors: errors.length,
      samples: errors.filter(Boolean).slice(0, 5)
    })
  },
  async close () {
    closing = true
    running = false
    for (const c of clients) if (c.ws !== null) c.ws.close()
    await waitFor(() => clients.every((c) => !c.open), 5000)
    reply({ ok: 'close' })
    process.exit(0)
  }
}

const lines = createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on('line', (line) => {
  const command = commands[line.trim()]
  if (!command) {
    reply({ ok: 'error', message: `unknown command ${line.trim()}` })
    return
  }
  queue = queue.then(command)
})
// The runner going away (or closing our stdin) ends the run.
lines.on('close', () => { queue.then(() => process.exit(0)) })
