// Interop check with the npm y-protocols awareness module.
// stdin: {"update": b64, "removal": b64}, awareness updates made by Python.
// stdout: what y-protocols decoded from them, and an update plus a removal
// made by y-protocols for Python to decode.
import * as Y from 'yjs'
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates
} from 'y-protocols/awareness'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const bytes = (b64) => new Uint8Array(Buffer.from(b64, 'base64'))
const b64 = (u8) => Buffer.from(u8).toString('base64')

const reader = new Awareness(new Y.Doc())
const others = () => [...reader.getStates()].filter(([id]) => id !== reader.clientID)
applyAwarenessUpdate(reader, bytes(input.update), 'python')
const decoded = Object.fromEntries(others())
const clocks = Object.fromEntries([...reader.meta].map(([id, meta]) => [id, meta.clock]))
applyAwarenessUpdate(reader, bytes(input.removal), 'python')
const afterRemoval = others().map(([id]) => id)

const writer = new Awareness(new Y.Doc())
writer.setLocalState({
  user: { name: 'Grâce 🎨', color: '#22c373' },
  cursor: { x: 1.5, y: -2, component: 'btn-1' },
  selection: ['btn-1', 'panel-2'],
  status: 'idle',
  lastSeen: 1718000000000
})
const jsUpdate = encodeAwarenessUpdate(writer, [writer.clientID])
removeAwarenessStates(writer, [writer.clientID], 'leave')
const jsRemoval = encodeAwarenessUpdate(writer, [writer.clientID])

// The Awareness constructor starts an interval timer; destroy lets Node exit.
reader.destroy()
writer.destroy()
process.stdout.write(JSON.stringify({
  decoded,
  clocks,
  afterRemoval,
  jsClientId: writer.clientID,
  jsUpdate: b64(jsUpdate),
  jsRemoval: b64(jsRemoval)
}))
