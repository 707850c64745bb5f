using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.FileProviders;
using ZmqGame.Protocol;

namespace ZmqGame.Hosting;

/// <summary>
/// Binds a configuration section to an options object after checking that every value the options read is of its
/// setting's kind (a number, a duration, true or false, …). A value that is not is a
/// <see cref="BadSettingException"/> whose one-line message names the setting, the value, where it came from (the
/// settings file, the environment variable, the command line) and what it should be, where the configuration
/// binder's own error names neither the source nor the syntax. Compiled into the broker and the worker library.
/// </summary>
internal static class ConfigurationCheck
{
    /// <summary>
    /// Checks the values of <paramref name="section"/> against the properties of <typeparamref name="T"/>, then binds
    /// them to <paramref name="options"/>. Durations read as <see cref="Durations"/> says.
    /// </summary>
    public static T Bind<T>(IConfiguration configuration, string section, T options)
        where T : class
    {
        Durations.UseForConfiguration();
        var values = configuration.GetSection(section);
        Check(configuration, values, typeof(T));
        values.Bind(options);
        return options;
    }

    /// <summary>
    /// The one-line message of a configuration source that cannot be loaded (a settings file that is not JSON):
    /// the file and the parser's complaint, with its line and position.
    /// </summary>
    public static string Describe(InvalidDataException error)
    {
        var inner = error.InnerException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        var text = inner is null ? error.Message : error.Message + " " + inner.Message;
        return text.ReplaceLineEndings(" ");
    }

    /// <summary>Where the value of <paramref name="key"/> comes from: the last source that sets it wins.</summary>
    internal static string SourceOf(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return "configuration";
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(key, out var value))
            {
                continue;
            }

            return provider switch
            {
                FileConfigurationProvider { Source: var file } => file.FileProvider is PhysicalFileProvider physical && file.Path is { } path
                    ? Path.Combine(physical.Root, path)
                    : file.Path ?? "a settings file",
                EnvironmentVariablesConfigurationProvider => EnvironmentVariableOf(key, value),
                CommandLineConfigurationProvider => "the command line",
                _ => provider.ToString() ?? "configuration",
            };
        }

        return "configuration";
    }

    private static void Check(IConfiguration root, IConfigurationSection section, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var child = section.GetSection(property.Name);
            var nullable = Nullable.GetUnderlyingType(property.PropertyType);
            var target = nullable ?? property.PropertyType;
            if (target == typeof(string) || target == typeof(object))
            {
                continue;
            }

            var converter = TypeDescriptor.GetConverter(target);
            if (converter.CanConvertFrom(typeof(string)))
            {
                // As the binder does: a value is converted, except an empty one for a nullable setting (null).
                if (child.Value is { } value && !(nullable is not null && value.Length == 0) && !TryConvert(converter, value))
                {
                    throw new BadSettingException(child.Path, value, SourceOf(root, child.Path), Expected(target));
                }
            }
            else if (target.IsClass && !typeof(IEnumerable).IsAssignableFrom(target))
            {
                Check(root, child, target);
            }
        }
    }

    private static bool TryConvert(TypeConverter converter, string value)
    {
        try
        {
            converter.ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            return false;
        }
        catch (Exception ex) when (ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a duration (" + Durations.Syntax + ")",
        _ when type == typeof(bool) => "true or false",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ => "a " + type.Name,
    };

    /// <summary>The environment variable that set <paramref name="key"/> (any prefix, <c>__</c> for <c>:</c>).</summary>
    private static string EnvironmentVariableOf(string key, string? value)
    {
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            var asKey = name.Replace("__", ":", StringComparison.Ordinal);
            var named = asKey.Equals(key, StringComparison.OrdinalIgnoreCase)
                || (asKey.EndsWith(key, StringComparison.OrdinalIgnoreCase) && asKey[^(key.Length + 1)] == '_');
            if (named && (string?)variable.Value == value)
            {
                return "environment variable " + name;
            }
        }

        return "an environment variable";
    }
}
