# The agent in a container. It reads the host's processes through a read-only bind mount of /proc at /host/proc
# and needs the host's pid namespace to see them by their real pids (see docker-compose.yml).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ProcActors.Host -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
VOLUME /var/lib/procactors
ENV STATE_DIRECTORY=/var/lib/procactors
EXPOSE 9256
ENTRYPOINT ["dotnet", "procactors.dll", "-procfs", "/host/proc"]
