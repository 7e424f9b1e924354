# The agent in a container. It reads the host's processes through a read-only bind mount of /proc at /host/proc
# and needs the host's pid namespace to see them by their real pids (see docker-compose.yml).
#
# It runs as the unprivileged user procactors (uid 10001), not root. Without capabilities it still reads every
# process's stat, status, cmdline and limits; other users' io, fd/ and smaps_rollup need
#   CAP_SYS_PTRACE       the kernel's ptrace read check guards io, smaps_rollup and the fd/ listing
#   CAP_DAC_READ_SEARCH  fd/ is mode 0500 and owned by the process's user
# Both are granted to the dotnet binary as file capabilities (a non-root user gets nothing from the container's
# capability set otherwise) and take effect only if the container is given them: cap_add in docker-compose.yml.
# Without them the agent runs, and counts what it cannot read in namedprocess_scrape_partial_errors.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ProcActors.Host -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
    && setcap cap_sys_ptrace,cap_dac_read_search+ep "$(readlink -f /usr/share/dotnet/dotnet)" \
    && apt-get purge -y libcap2-bin && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin procactors \
    && install -d -o procactors -g procactors /var/lib/procactors
WORKDIR /app
COPY --from=build /app .
VOLUME /var/lib/procactors
ENV STATE_DIRECTORY=/var/lib/procactors
USER procactors
EXPOSE 9256
ENTRYPOINT ["dotnet", "procactors.dll", "-procfs", "/host/proc"]
