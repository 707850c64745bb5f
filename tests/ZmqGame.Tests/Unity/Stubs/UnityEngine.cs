// The few UnityEngine types the Unity sample (client/unity/Samples~) uses, with Unity's names and signatures, so that
// the sample compiles and runs outside Unity. Compiled into the netstandard2.1 consumer only (not into the tests, not
// shipped). Written in the C# of Unity 2021.3 (C# 9).
#nullable enable

using System;
using System.Collections.Generic;

namespace UnityEngine
{
    /// <summary>Unity's base class of scripts; here the player loop calls its messages by name, as Unity does.</summary>
    public class MonoBehaviour
    {
    }

    /// <summary>Shows a private field in the Inspector.</summary>
    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute
    {
    }

    /// <summary>The kind of a log message.</summary>
    public enum LogType
    {
        Error = 0,
        Assert = 1,
        Warning = 2,
        Log = 3,
        Exception = 4,
    }

    /// <summary>Unity's application events: here only the log callback.</summary>
    public static class Application
    {
        /// <summary>A log message: its text, its stack trace and its kind.</summary>
        public delegate void LogCallback(string condition, string stackTrace, LogType type);

        /// <summary>Every log message, from whichever thread logged it.</summary>
        public static event LogCallback? logMessageReceivedThreaded;

        internal static void Raise(string condition, LogType type) => logMessageReceivedThreaded?.Invoke(condition, string.Empty, type);
    }

    /// <summary>Unity's console log.</summary>
    public static class Debug
    {
        public static void Log(object message) => Application.Raise(message?.ToString() ?? "Null", LogType.Log);

        public static void LogWarning(object message) => Application.Raise(message?.ToString() ?? "Null", LogType.Warning);

        public static void LogError(object message) => Application.Raise(message?.ToString() ?? "Null", LogType.Error);

        public static void LogException(Exception exception) => Application.Raise(exception.ToString(), LogType.Exception);
    }

    /// <summary>A rectangle on the screen.</summary>
    public struct Rect
    {
        public Rect(float x, float y, float width, float height)
        {
            this.x = x;
            this.y = y;
            this.width = width;
            this.height = height;
        }

        public float x;
        public float y;
        public float width;
        public float height;
    }

    /// <summary>
    /// Immediate-mode GUI. Outside Unity, what one OnGUI call drew is kept in <see cref="Drawn"/> (labels, and text
    /// fields as <c>[text]</c>) for the player loop to show; buttons are never clicked.
    /// </summary>
    public static class GUILayout
    {
        private static readonly List<string> drawn = new List<string>();

        /// <summary>What has been drawn since <see cref="Clear"/> (not Unity API).</summary>
        public static IReadOnlyList<string> Drawn => drawn;

        /// <summary>Forgets what was drawn (not Unity API): the player loop calls it before each OnGUI.</summary>
        public static void Clear() => drawn.Clear();

        public static void BeginArea(Rect screenRect)
        {
        }

        public static void EndArea()
        {
        }

        public static void Label(string text) => drawn.Add(text);

        public static string TextField(string text)
        {
            drawn.Add("[" + text + "]");
            return text;
        }

        public static bool Button(string text) => false;
    }
}
