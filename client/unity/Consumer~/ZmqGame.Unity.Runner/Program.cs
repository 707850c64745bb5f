using System.Runtime.CompilerServices;
using MessagePack;
using UnityEngine;
using ZmqGame.Samples.Lobby;
using ZmqGame.Unity.Runner;

// Plays the ZmqGameLobby sample with dynamic code off. Prints "log: <line>" for each Unity log line and, on stdin:
// "gui" runs a frame and prints what OnGUI draws ("gui: <label>" lines, then "gui end"), "say <text>" says it in the room, "destroy"
// destroys the script (OnDestroy), "quit" quits the application (OnApplicationQuit, OnDestroy) and exits 0.
const string Usage = "usage: ZmqGame.Unity.Runner --broker <frontend> [--name <player>] [--room <room>]";
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return 0;
}

var lobby = new ZmqGameLobby();
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--broker" when value is not null: lobby.Broker = value; i++; break;
        case "--name" when value is not null: lobby.PlayerName = value; i++; break;
        case "--room" when value is not null: lobby.Room = value; i++; break;
        default:
            Console.Error.WriteLine($"error: unknown option or missing value: {args[i]} ({Usage})");
            return 2;
    }
}

var output = new object();
void Print(string line)
{
    lock (output)
    {
        Console.WriteLine(line);
    }
}

Print("dynamic code: " + (RuntimeFeature.IsDynamicCodeSupported ? "supported" : "not supported"));
Print("dynamic resolver: " + DynamicResolverProbe.Try());
Application.logMessageReceivedThreaded += (condition, _, type) => Print($"log: {type} {condition.Split('\n')[0]}");

var loop = new PlayerLoop(lobby);
var input = new Thread(() =>
{
    while (Console.ReadLine() is { } line)
    {
        var command = line.Trim();
        loop.Enqueue(() =>
        {
            switch (command.Split(' ', 2)[0])
            {
                case "gui":
                    // A frame: Update, then OnGUI (Unity's order).
                    loop.Send("Update");
                    GUILayout.Clear();
                    loop.Send("OnGUI");
                    foreach (var drawn in GUILayout.Drawn)
                    {
                        Print("gui: " + drawn);
                    }

                    Print("gui end");
                    break;
                case "say":
                    _ = lobby.Say(command.Length > 4 ? command[4..] : string.Empty);
                    break;
                case "destroy":
                    loop.Send("OnDestroy");
                    break;
                case "quit":
                    loop.Send("OnApplicationQuit");
                    loop.Send("OnDestroy");
                    loop.Stop();
                    break;
                default:
                    Print("error: unknown command " + command);
                    break;
            }
        });
    }
})
{ IsBackground = true, Name = "stdin" };

loop.Enqueue(() =>
{
    loop.Send("Awake");
    loop.Send("Start");
});
input.Start();
loop.Run();
Print("quit");
return 0;
