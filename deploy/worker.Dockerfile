# The ZmqGame worker host with the sample services (echo, game, lobby). Build from the repository root:
#   docker build -f deploy/worker.Dockerfile -t zmqgame-worker .
#   docker run --rm zmqgame-worker --broker tcp://broker1:5556,tcp://broker2:5556
# HTTP http://*:9091 (/healthz, /readyz, /metrics). Every setting can be given as an environment variable Worker__Key
# or as arguments after the image name (--slots 4, --service game). One worker host per container: the container
# runtime restarts it; the supervisor mode (--processes) is for hosts without one.
# tests/ZmqGame.Tests/Packaging/ContainerFilesTests.cs runs this file's COPY, restore and publish steps.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The project files first: the restore layer is reused until a package or a reference changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protocol/ZmqGame.Protocol/ZmqGame.Protocol.csproj protocol/ZmqGame.Protocol/
COPY transport/ZmqGame.Transport/ZmqGame.Transport.csproj transport/ZmqGame.Transport/
COPY trigger/ZmqGame.Trigger/ZmqGame.Trigger.csproj trigger/ZmqGame.Trigger/
COPY worker/ZmqGame.Worker/ZmqGame.Worker.csproj worker/ZmqGame.Worker/
COPY worker/ZmqGame.Worker.Host/ZmqGame.Worker.Host.csproj worker/ZmqGame.Worker.Host/
RUN dotnet restore worker/ZmqGame.Worker.Host/ZmqGame.Worker.Host.csproj
COPY protocol/ protocol/
COPY transport/ transport/
COPY hosting/ hosting/
COPY trigger/ZmqGame.Trigger/ trigger/ZmqGame.Trigger/
COPY worker/ZmqGame.Worker/ worker/ZmqGame.Worker/
COPY worker/ZmqGame.Worker.Host/ worker/ZmqGame.Worker.Host/
RUN dotnet publish worker/ZmqGame.Worker.Host/ZmqGame.Worker.Host.csproj -c Release -o /app --no-restore

# aspnet, not runtime: the worker host's HTTP endpoint runs on ASP.NET Core (Kestrel).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV Worker__Http__Url=http://*:9091
USER $APP_UID
EXPOSE 9091
# The .NET runtime images have neither curl nor wget, so the worker host probes itself: `--probe URL` GETs its own
# /healthz and exits 0 or 1, without starting a worker. It works the same in the chiseled (shell-less) images.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dotnet", "ZmqGame.Worker.Host.dll", "--probe", "http://127.0.0.1:9091/healthz"]
ENTRYPOINT ["dotnet", "ZmqGame.Worker.Host.dll"]
