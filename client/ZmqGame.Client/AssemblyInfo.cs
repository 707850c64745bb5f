namespace ZmqGame.Client;
