// A stock MDP/0.1 client on jszmq's DEALER over ZWS 2.0: sends one request to SERVICE with BODY at URL and prints the
// reply's frames as one JSON line. Exit 0 on a reply, 3 when none came within 10 s.
// usage: node mdp-client.js URL SERVICE BODY
const zmq = require('jszmq');

const [url, service, body] = process.argv.slice(2);
const dealer = new zmq.Dealer();
const timer = setTimeout(() => {
  console.error('no reply within 10 s');
  process.exit(3);
}, 10000);
dealer.on('message', (...frames) => {
  clearTimeout(timer);
  console.log(JSON.stringify(frames.map((f) => Buffer.from(f).toString('utf8'))));
  dealer.close();
  process.exit(0);
});
dealer.connect(url);
dealer.send(['', 'MDPC01', service, body]);
