# The agent in a container. It reads the host's processes through a read-only bind mount of /proc at /host/proc
# and needs the host's pid namespace to see them by their real pids (see docker-compose.yml).
#
# By default it runs as the unprivileged user procactors (uid 10001) with no capabilities: it reads every process's
# stat, status, cmdline and limits, counts what it cannot read (other users' io, fd/, smaps_rollup) in
# namedprocess_scrape_partial_errors, and falls back to reaped children's CPU for exit accounting. Reading everything
# needs
#   CAP_SYS_PTRACE       the kernel's ptrace read check guards io, smaps_rollup and the fd/ listing
#   CAP_DAC_READ_SEARCH  fd/ is mode 0500 and owned by the process's user
#   CAP_NET_ADMIN        registering for taskstats exit records (also needs the host's pid namespace)
# and a non-root user gets a container's capabilities only through file capabilities with the effective bit, which
# make the kernel refuse to start the program at all in a container not given every one of them (capabilities(7),
# "safety checking for capability-dumb binaries"). So the image carries none: docker-compose.yml and the Kubernetes
# DaemonSet run it as root with every capability dropped but these three.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ProcActors.Host -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin procactors \
    && install -d -o procactors -g procactors /var/lib/procactors
WORKDIR /app
COPY --from=build /app .
VOLUME /var/lib/procactors
ENV STATE_DIRECTORY=/var/lib/procactors
USER procactors
EXPOSE 9256
ENTRYPOINT ["dotnet", "procactors.dll", "-procfs", "/host/proc"]
