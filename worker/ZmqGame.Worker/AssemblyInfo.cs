namespace ZmqGame.Worker;
