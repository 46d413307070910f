/// The release this build is.
public enum FreightVersion {
    public static let current = "0.1.0"
}
