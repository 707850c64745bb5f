// The UnityEngine and AOT types that the package's WebGL bridge (client/unity/Runtime/WebGL) uses, with Unity's names
// and signatures, so that it compiles outside Unity (Consumer~/ZmqGame.Unity.WebGl.Consumer). Nothing here runs.
#nullable enable

using System;

namespace UnityEngine
{
    /// <summary>When a <see cref="RuntimeInitializeOnLoadMethodAttribute"/> method runs.</summary>
    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad = 0,
        BeforeSceneLoad = 1,
    }

    /// <summary>Whether an object is shown and saved.</summary>
    [Flags]
    public enum HideFlags
    {
        None = 0,
        HideAndDontSave = 61,
    }

    /// <summary>A static method Unity calls when the player starts.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) => LoadType = loadType;

        public RuntimeInitializeLoadType LoadType { get; }
    }

    /// <summary>Unity's base of every object in a scene.</summary>
    public class Object
    {
        public HideFlags hideFlags { get; set; }

        public static void DontDestroyOnLoad(Object target) => _ = target;
    }

    /// <summary>An object in a scene, holding components.</summary>
    public sealed class GameObject : Object
    {
        public GameObject(string name) => this.name = name;

        public string name { get; }

        public T AddComponent<T>()
            where T : MonoBehaviour, new() => new T();
    }
}

namespace AOT
{
    /// <summary>Marks a static method that native code (here the jslib) calls through a delegate, for IL2CPP.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type) => Type = type;

        public Type Type { get; }
    }
}
