// Preloaded (node --require) into y-webrtc's signaling server, whose
// bin/server.js calls listen(port) with no host and so binds every interface.
// The benchmark stays on loopback: a listen() without a host gets 127.0.0.1.
'use strict'
const net = require('node:net')

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [port, next] = args
  const portOnly = typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port))
  if (portOnly && (args.length === 1 || typeof next === 'function')) {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
