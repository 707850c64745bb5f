# The ZmqGame broker. Build from the repository root:
#   docker build -f deploy/broker.Dockerfile -t zmqgame-broker .
#   docker run --rm -p 5555:5555 -p 5556:5556 -p 127.0.0.1:9090:9090 zmqgame-broker
# Frontend tcp://*:5555 (clients), backend tcp://*:5556 (workers), control tcp://127.0.0.1:5557 (trigger; inside the
# container only unless you give the broker CURVE keys, README "Sessions and push"), HTTP http://*:9090 (/healthz,
# /readyz, /metrics, the admin console: loopback clients only unless Broker:Http:AdminToken is set). Every setting can
# be given as an environment variable ZMQGAME_Broker__Key or as arguments after the image name (--cluster nats://…).
# tests/ZmqGame.Tests/Packaging/ContainerFilesTests.cs runs this file's COPY, restore and publish steps.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The project files first: the restore layer is reused until a package or a reference changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protocol/ZmqGame.Protocol/ZmqGame.Protocol.csproj protocol/ZmqGame.Protocol/
COPY transport/ZmqGame.Transport/ZmqGame.Transport.csproj transport/ZmqGame.Transport/
COPY broker/ZmqGame.Broker/ZmqGame.Broker.csproj broker/ZmqGame.Broker/
RUN dotnet restore broker/ZmqGame.Broker/ZmqGame.Broker.csproj
COPY protocol/ protocol/
COPY transport/ transport/
COPY hosting/ hosting/
COPY broker/ZmqGame.Broker/ broker/ZmqGame.Broker/
RUN dotnet publish broker/ZmqGame.Broker/ZmqGame.Broker.csproj -c Release -o /app --no-restore

# aspnet, not runtime: the broker's HTTP endpoint runs on ASP.NET Core (Kestrel).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
# The session key file (resume tickets across restarts) must be writable by the app user; mount a volume here to keep
# it across containers. In a cluster the key comes from NATS and no file is created.
RUN mkdir -p /var/lib/zmqgame && chown "$APP_UID" /var/lib/zmqgame
WORKDIR /app
COPY --from=build /app .
ENV ZMQGAME_Broker__SessionKeyFile=/var/lib/zmqgame/session.key \
    ZMQGAME_Broker__Http__Url=http://*:9090
USER $APP_UID
EXPOSE 5555 5556 9090
# The .NET runtime images have neither curl nor wget, so the broker probes itself: `--probe URL` GETs its own /healthz
# and exits 0 or 1, without starting a broker. It works the same in the chiseled (shell-less) images.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dotnet", "ZmqGame.Broker.dll", "--probe", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["dotnet", "ZmqGame.Broker.dll"]
