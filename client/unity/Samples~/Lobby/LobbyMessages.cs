#nullable enable

using System;

namespace ZmqGame.Samples.Lobby
{
    /// <summary>Command ids of the sample <c>lobby</c> service (requests 1–3) and of its pushes (100, 101).</summary>
    public static class LobbyCommands
    {
        public const string Service = "lobby";
        public const int Login = 1;
        public const int Join = 2;
        public const int Say = 3;
        public const int ChatLine = 100;
        public const int Notice = 101;
    }

    /// <summary>Request of <see cref="LobbyCommands.Login"/>: binds the session to a user name.</summary>
    public sealed class Login
    {
        public string Name { get; set; } = string.Empty;
    }

    /// <summary>Reply of <see cref="LobbyCommands.Login"/>: the user the session is bound to, and the session id.</summary>
    public sealed class LoginOk
    {
        public string User { get; set; } = string.Empty;

        public ulong Session { get; set; }
    }

    /// <summary>Request of <see cref="LobbyCommands.Join"/>: a room name.</summary>
    public sealed class Join
    {
        public string Room { get; set; } = string.Empty;
    }

    /// <summary>Reply of <see cref="LobbyCommands.Join"/>: the room's members.</summary>
    public sealed class Joined
    {
        public string Room { get; set; } = string.Empty;

        public string[] Members { get; set; } = Array.Empty<string>();
    }

    /// <summary>Request of <see cref="LobbyCommands.Say"/>: a line for a room.</summary>
    public sealed class Say
    {
        public string Room { get; set; } = string.Empty;

        public string Text { get; set; } = string.Empty;
    }

    /// <summary>Reply of <see cref="LobbyCommands.Say"/>: how many members the line went to.</summary>
    public sealed class Said
    {
        public string Room { get; set; } = string.Empty;

        public int Members { get; set; }
    }

    /// <summary>Push <see cref="LobbyCommands.ChatLine"/>: a line said in a room.</summary>
    public sealed class ChatLine
    {
        public string Room { get; set; } = string.Empty;

        public string From { get; set; } = string.Empty;

        public string Text { get; set; } = string.Empty;
    }

    /// <summary>Push <see cref="LobbyCommands.Notice"/>: someone "joined" or "left" a room.</summary>
    public sealed class Notice
    {
        public string Room { get; set; } = string.Empty;

        public string User { get; set; } = string.Empty;

        public string What { get; set; } = string.Empty;
    }
}
