; Inno Setup script: a per-user installer over the PyInstaller one-folder build.
; Build the folder first (uv run python packaging/build.py), then, on Windows:
;   iscc /DAppVersion=0.1.0 packaging\windows\crewdesk.iss
; Output: dist\CrewDesk-<version>-windows-x86_64-setup.exe
; The version comes from desktop_app.__version__ (CI passes it with /DAppVersion).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define Root "..\.."

[Setup]
AppId={{6F1C2B9E-4C1D-4E8B-9B7A-3C2D1E0F5A61}
AppName=CrewDesk
AppVersion={#AppVersion}
AppPublisher=CrewDesk
DefaultDirName={autopf}\CrewDesk
DefaultGroupName=CrewDesk
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=CrewDesk-{#AppVersion}-windows-x86_64-setup
SetupIconFile={#Root}\resources\icons\crewdesk.ico
UninstallDisplayIcon={app}\crewdesk.exe
Compression=lzma2/ultra64
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\crewdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\CrewDesk"; Filename: "{app}\crewdesk.exe"
Name: "{group}\Uninstall CrewDesk"; Filename: "{uninstallexe}"
Name: "{autodesktop}\CrewDesk"; Filename: "{app}\crewdesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\crewdesk.exe"; Description: "{cm:LaunchProgram,CrewDesk}"; Flags: nowait postinstall skipifsilent
