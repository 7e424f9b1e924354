using Microsoft.Extensions.Logging;
using ProcActors.Tracking.Grouping;
using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// Re-reads -config.path on SIGHUP or POST /-/reload, as Prometheus does. A valid file replaces the grouping rules
/// (groups and counters of rules that still name the same processes continue); an invalid one is logged with its line
/// and field, and the rules in force keep running. Its outcome is on /metrics.
/// </summary>
public sealed class ConfigReloader
{
    private readonly string? _path;
    private readonly Action<IProcNamer> _apply;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly Gauge _successful;
    private readonly Gauge _successTimestamp;
    private readonly Lock _lock = new();

    public ConfigReloader(string? path, Action<IProcNamer> apply, ILogger log, CollectorRegistry registry, TimeProvider? clock = null)
    {
        _path = path;
        _apply = apply;
        _log = log;
        _clock = clock ?? TimeProvider.System;
        var factory = Metrics.WithCustomRegistry(registry);
        _successful = factory.CreateGauge("procactors_config_last_reload_successful", "Whether the last configuration reload attempt was successful.");
        _successTimestamp = factory.CreateGauge("procactors_config_last_reload_success_timestamp_seconds", "Timestamp of the last successful configuration reload.");
        // The configuration loaded at startup counts as the first successful load.
        _successful.Set(1);
        _successTimestamp.Set(_clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
    }

    /// <summary>Null on success (or when there is no file to re-read), else the one-line error.</summary>
    public string? Reload()
    {
        if (_path is null)
        {
            _log.LogInformation("Reload requested: no -config.path, nothing to re-read");
            return null;
        }
        lock (_lock)
        {
            NamingConfig config;
            try
            {
                config = NamingConfig.Load(_path);
            }
            catch (ConfigException e)
            {
                _successful.Set(0);
                _log.LogError("Reload failed, the previous configuration stays in force: {Error}", e.Message);
                return e.Message;
            }
            _apply(config);
            _successful.Set(1);
            _successTimestamp.Set(_clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
            _log.LogInformation("Reloaded {Path}", _path);
            return null;
        }
    }
}
