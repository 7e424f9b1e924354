using Microsoft.Extensions.DependencyInjection;

namespace ProcActors.Fleet;

public static class FleetHosting
{
    /// <summary>Joins the fleet from a second actor system that the host restarts whenever the cluster downs it.</summary>
    public static IServiceCollection AddFleet(this IServiceCollection services, FleetOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(new FleetViewStore(options.NodeName));
        services.AddSingleton<FleetNode>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetNode>());
        return services;
    }
}
