using System.Globalization;
using ProcActors.Procfs.Native;

namespace ProcActors.Procfs;

/// <summary>uid → user name through the system's user database, cached; an unknown uid is named by its number.</summary>
public sealed class UserNames
{
    private readonly Dictionary<uint, string> _names = [];

    public string Get(uint uid)
    {
        if (_names.TryGetValue(uid, out var name)) return name;
        name = LibC.UserName(uid) ?? uid.ToString(CultureInfo.InvariantCulture);
        _names[uid] = name;
        return name;
    }
}
