; Repurpose Studio's Windows installer, built by scripts/build-windows with
; Debian's makensis. It follows the layout of Tauri's NSIS bundle (a per-user
; install in %LOCALAPPDATA%\Programs, no administrator rights, the WebView2
; runtime installed through Microsoft's bootstrapper when it is missing), but
; is our own script: Tauri's bundler downloads its NSIS plugin from GitHub at
; build time, which an offline build machine cannot do.
;
; makensis -DSTAGE=<folder with the files> -DVERSION=0.1.0 -DOUTFILE=<setup.exe> installer.nsi

; A 64-bit installer for a 64-bit app (Windows 10/11 x64).
Target amd64-unicode
ManifestDPIAware true
!ifndef COMPRESSOR
  !define COMPRESSOR lzma
!endif
SetCompressor /SOLID ${COMPRESSOR}
RequestExecutionLevel user

!ifndef STAGE
  !error "pass -DSTAGE=<folder>"
!endif
!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef OUTFILE
  !define OUTFILE "Repurpose-Studio_${VERSION}_x64-setup.exe"
!endif

!define PRODUCT "Repurpose Studio"
!define MAIN_EXE "repurpose-studio.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\RepurposeStudio"
; The WebView2 Evergreen runtime's client id (Microsoft's documentation).
!define WEBVIEW2_ID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_BOOTSTRAPPER "https://go.microsoft.com/fwlink/p/?LinkId=2124703"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} installer"
VIAddVersionKey /LANG=0 "LegalCopyright" "Repurpose Studio contributors, MIT licence"

!include "MUI2.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "${STAGE}\icon.ico"
!define MUI_UNICON "${STAGE}\icon.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${MAIN_EXE}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
; Chinese first: most of our users read it.
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString WEBVIEW2_FAILED ${LANG_SIMPCHINESE} "无法安装 Microsoft Edge WebView2 运行时（需要联网）。请从微软官网下载安装「WebView2 Runtime」后再打开 ${PRODUCT}。命令行工具 studio.exe 不需要它。"
LangString WEBVIEW2_FAILED ${LANG_ENGLISH} "The Microsoft Edge WebView2 runtime could not be installed (it needs the network). Install the WebView2 Runtime from Microsoft, then open ${PRODUCT}. The studio.exe command line does not need it."

Section "Install"
  SetOutPath "$INSTDIR"
  File /r "${STAGE}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${MAIN_EXE}"
  CreateShortCut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\${MAIN_EXE}"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Repurpose Studio"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${MAIN_EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1

  Call InstallWebView2
SectionEnd

; As Tauri's "downloadBootstrapper" mode: only when no runtime is registered
; (Windows 11 and an up-to-date Windows 10 already have it).
Function InstallWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${If} $0 == ""
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${EndIf}
  ${If} $0 != ""
  ${AndIf} $0 != "0.0.0.0"
    Return
  ${EndIf}
  DetailPrint "Installing the Microsoft Edge WebView2 runtime"
  StrCpy $1 "$TEMP\MicrosoftEdgeWebview2Setup.exe"
  ; curl.exe ships with Windows 10 (1803 and later) and 11.
  nsExec::ExecToLog '"$SYSDIR\curl.exe" --silent --fail --location --output "$1" "${WEBVIEW2_BOOTSTRAPPER}"'
  Pop $0
  ${If} $0 != 0
    nsExec::ExecToLog `powershell -NoProfile -Command "Invoke-WebRequest -UseBasicParsing -Uri '${WEBVIEW2_BOOTSTRAPPER}' -OutFile '$1'"`
    Pop $0
  ${EndIf}
  ${If} $0 == 0
    ExecWait '"$1" /silent /install' $0
    Delete "$1"
  ${EndIf}
  ${If} $0 != 0
    DetailPrint "$(WEBVIEW2_FAILED)"
    MessageBox MB_ICONEXCLAMATION|MB_OK "$(WEBVIEW2_FAILED)" /SD IDOK
  ${EndIf}
FunctionEnd

; The studio's data (%APPDATA%\repurpose-studio) is the user's and stays.
Section "Uninstall"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
