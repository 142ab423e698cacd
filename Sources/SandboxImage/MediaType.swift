/// The media types an image reader meets, OCI's and Docker's.
///
/// Docker's "schema 2" types came first; OCI's image-spec standardised the
/// same structures under new names. A reader accepts both and treats each
/// pair alike (image-spec media-types.md, "Compatibility Matrix").
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Media types of an index (a list of manifests, one per platform).
    public static let indexes: Set<String> = [ociIndex, dockerManifestList]
    /// Media types of an image manifest.
    public static let manifests: Set<String> = [ociManifest, dockerManifest]
    /// Media types of an image configuration.
    public static let configs: Set<String> = [ociConfig, dockerConfig]
    /// Media types of a layer we can apply: a tar, compressed or not.
    public static let layers: Set<String> = [
        ociLayer, ociLayerGzip, ociLayerZstd, ociLayerNondistributable, ociLayerNondistributableGzip,
        ociLayerNondistributableZstd, dockerLayer, dockerLayerGzip, dockerForeignLayerGzip,
    ]
}
