namespace ZmqGame.Broker;

/// <summary>An endpoint could not be bound (taken port, bad address).</summary>
internal sealed class BrokerBindException(string message) : Exception(message);
