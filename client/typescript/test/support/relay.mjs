// A TCP relay between a client and the broker that a test can cut: every connection through it is dropped at once
// and new ones are refused until it is restored. This is how a test takes a client's connection away while the
// broker and the client both keep running.
import { createServer, connect } from "node:net";

export class Relay {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.sockets = new Set();
    this.blocked = false;
    this.accepted = 0;
    this.server = createServer((client) => this.accept(client));
  }

  /** Listens on a free port of 127.0.0.1; resolves with it. */
  listen() {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve(this.server.address().port)));
  }

  /** Drops every connection through the relay and refuses new ones. */
  cut() {
    this.blocked = true;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
  }

  /**
   * Stops forwarding on every connection through the relay without closing any: each side hears nothing more, as
   * when a network path goes dead. New connections are forwarded as usual.
   */
  freeze() {
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
    }
    this.frozen = [...this.sockets];
    this.sockets.clear();
  }

  /** Lets connections through again. */
  restore() {
    this.blocked = false;
  }

  close() {
    this.cut();
    for (const socket of this.frozen ?? []) {
      socket.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  accept(client) {
    if (this.blocked) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.targetPort, "127.0.0.1");
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      this.sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
